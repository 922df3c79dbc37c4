//! Catalogue fidelity: an old-scheme catalogue whose components and events share codes
//! loads, reports name a shared code with its kind, a bare shared code is refused with
//! nothing written, stores and events from before kinds read as before, and every
//! sample category carries its registration and closing conditions.
#![allow(clippy::unwrap_used)]

mod common;

use common::{as_role, snapshot, Device, CATALOG};
use gridwork_core::{
    catalog::{Catalog, CatalogError, CategoryKind, LookupError},
    model::Role,
    store::{ActionKind, ActionRequest, ReportDraft},
    Error,
};
use serde_json::json;

const OLD: &str = include_str!("../../data/oldscheme-catalog.json");

fn as_(kind: ActionKind, role: Role) -> ActionRequest {
    as_role(ActionRequest::new(kind), role)
}

#[test]
fn an_old_scheme_catalogue_with_shared_codes_loads_and_keeps_both_kinds_apart() {
    let cat = Catalog::from_json(OLD).unwrap();
    assert_eq!(cat.categories().len(), 10);
    assert!(cat.conditions_required());
    let component = cat.resolve("component/0101").unwrap();
    let event = cat.resolve("event/0101").unwrap();
    assert_eq!(
        (
            component.kind,
            component.name_zh.as_str(),
            component.department.as_str()
        ),
        (CategoryKind::Component, "上水井盖", "water")
    );
    assert_eq!(
        (
            event.kind,
            event.name_zh.as_str(),
            event.department.as_str()
        ),
        (CategoryKind::Event, "暴露垃圾", "sanitation")
    );
    assert_eq!(
        cat.resolve("0101").unwrap_err(),
        LookupError::Ambiguous {
            code: "0101".into()
        }
    );
    assert!(cat.get("0101").is_none());
    assert!(cat
        .resolve("0101")
        .unwrap_err()
        .to_string()
        .contains("component/0101 or event/0101"));
    assert_eq!(cat.reference(component), "component/0101");
    assert_eq!(cat.reference(event), "event/0101");
    // A code only one kind has keeps its bare form, qualified or not.
    assert_eq!(cat.canonical("0301").unwrap(), "0301");
    assert_eq!(cat.canonical("component/0301").unwrap(), "0301");
    assert!(matches!(
        cat.resolve("event/0301"),
        Err(LookupError::Unknown(_))
    ));
    assert!(matches!(
        cat.resolve("animal/0101"),
        Err(LookupError::Invalid(_))
    ));
    // Round trip: both kinds survive.
    let again = Catalog::from_json(&cat.to_json().unwrap()).unwrap();
    assert_eq!(again, cat);
}

fn old_scheme_device() -> Device {
    let dev = Device::new("li", Role::Worker, "phone-li");
    dev.store.import_catalog(OLD).unwrap();
    dev
}

fn draft(dev: &Device, category: &str) -> ReportDraft {
    ReportDraft {
        category: category.into(),
        ..dev.draft(category)
    }
}

#[test]
fn a_report_names_a_shared_code_with_its_kind_and_goes_to_that_kinds_department() {
    let dev = old_scheme_device();
    for (reference, department) in [("component/0101", "water"), ("event/0101", "sanitation")] {
        let id = dev.store.report(&draft(&dev, reference)).unwrap();
        assert_eq!(dev.store.case(id).unwrap().case.category(), reference);
        dev.store
            .act(id, &as_(ActionKind::Register, Role::Intake))
            .unwrap();
        let case = dev
            .store
            .act(id, &as_(ActionKind::Dispatch, Role::Dispatcher))
            .unwrap();
        assert_eq!(case.department.as_deref(), Some(department), "{reference}");
    }
}

#[test]
fn a_bare_shared_code_or_an_unknown_kind_is_refused_and_nothing_is_written() {
    let dev = old_scheme_device();
    let before = snapshot(&dev.store);
    let err = dev.store.report(&draft(&dev, "0101")).unwrap_err();
    assert!(
        matches!(err, Error::AmbiguousCategory(ref c) if c == "0101"),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("component/0101 or event/0101"),
        "{err}"
    );
    for bad in ["animal/0101", "event/0301", "component/"] {
        let err = dev.store.report(&draft(&dev, bad)).unwrap_err();
        assert!(matches!(err, Error::UnknownCategory(_)), "{bad}: {err:?}");
    }
    assert_eq!(snapshot(&dev.store), before);
}

#[test]
fn reports_of_unshared_codes_are_stored_as_before() {
    // Today's sample catalogue: no code is shared, so a bare code is stored bare, and a
    // qualified one is stored in the bare form every older event has.
    let dev = Device::new("li", Role::Worker, "phone-li");
    let bare = dev.store.report(&dev.draft("bare")).unwrap();
    let qualified = dev.store.report(&draft(&dev, "event/06010")).unwrap();
    for id in [bare, qualified] {
        assert_eq!(dev.store.case(id).unwrap().case.category(), "06010");
    }
    let err = dev
        .store
        .report(&draft(&dev, "component/06010"))
        .unwrap_err();
    assert!(matches!(err, Error::UnknownCategory(_)), "{err:?}");
    // A case reported before the old-scheme catalogue came keeps its category and
    // still finds it where the code is not shared.
    dev.store.import_catalog(OLD).unwrap();
    assert_eq!(dev.store.case(bare).unwrap().case.category(), "06010");
}

fn broken(edit: impl FnOnce(&mut serde_json::Value)) -> CatalogError {
    let mut v: serde_json::Value = serde_json::from_str(OLD).unwrap();
    edit(&mut v);
    Catalog::from_json(&v.to_string()).unwrap_err()
}

#[test]
fn duplicates_within_a_kind_unknown_kinds_and_missing_conditions_are_refused() {
    // The component 0102 made a second component 0101.
    let err = broken(|v| v["categories"][1]["code"] = json!("0101"));
    assert!(
        matches!(err, CatalogError::DuplicateCode { index: 1, ref code, kind: CategoryKind::Component, first_index: 0 } if code == "0101"),
        "{err}"
    );
    let err = broken(|v| v["categories"][5]["kind"] = json!("incident"));
    assert!(
        matches!(err, CatalogError::UnknownKind { index: 5, ref kind, .. } if kind == "incident"),
        "{err}"
    );
    for field in [
        "registration_condition",
        "registration_condition_zh",
        "closing_condition",
        "closing_condition_zh",
    ] {
        let err = broken(|v| v["categories"][7][field] = json!(" "));
        assert!(
            matches!(err, CatalogError::MissingCondition { index: 7, field: f, ref code } if f == field && code == "0103"),
            "{field}: {err}"
        );
    }
    // Without `conditions_required` conditions stay optional, as before.
    let mut v: serde_json::Value = serde_json::from_str(OLD).unwrap();
    v["conditions_required"] = json!(false);
    v["categories"][7]["registration_condition"] = json!("");
    assert!(Catalog::from_json(&v.to_string()).is_ok());
    // A device keeps its catalogue when it is offered a bad one.
    let dev = old_scheme_device();
    let before = snapshot(&dev.store);
    let mut v: serde_json::Value = serde_json::from_str(OLD).unwrap();
    v["categories"][9]["kind"] = json!("component");
    v["categories"][9]["code"] = json!("0301");
    assert!(dev.store.import_catalog(&v.to_string()).is_err());
    assert_eq!(snapshot(&dev.store), before);
}

#[test]
fn every_sample_category_has_both_conditions_in_both_languages() {
    let cat = Catalog::from_json(CATALOG).unwrap();
    assert!(cat.categories().len() >= 200);
    assert!(cat.conditions_required());
    for kind in [CategoryKind::Component, CategoryKind::Event] {
        assert!(cat.categories().iter().filter(|c| c.kind == kind).count() >= 90);
    }
    for c in cat.categories() {
        for text in [
            &c.registration_condition,
            &c.registration_condition_zh,
            &c.closing_condition,
            &c.closing_condition_zh,
        ] {
            assert!(!text.trim().is_empty(), "{}", c.code);
        }
        assert_eq!(
            cat.reference(c),
            c.code.as_str(),
            "no sample code is shared"
        );
    }
    let rubbish = cat.get("06010").unwrap();
    assert_eq!(
        rubbish.registration_condition,
        "Visible rubbish, dirt or waste in a public place"
    );
    assert_eq!(rubbish.closing_condition_zh, "已清除，地面整洁");
}
