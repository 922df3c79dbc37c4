//! The case view of the first build that kept one (bd00464): its `cases` table has no
//! `search` column and its ids and cells are in the database's collation, and
//! `CREATE TABLE IF NOT EXISTS` leaves it so. Such a table is dropped before the schema
//! is made, so that the case view is made again and folded from the events held, as for
//! a database from before the case view.

/// Drops a `cases` table that has no `search` column; a no-op otherwise.
pub(super) const DROP_FIRST_CASE_VIEW: &str = "
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema()
             AND table_name = 'cases')
     AND NOT EXISTS (SELECT 1 FROM information_schema.columns
                     WHERE table_schema = current_schema() AND table_name = 'cases'
                       AND column_name = 'search') THEN
    DROP TABLE cases;
  END IF;
END $$;
";
