//! `gridwork`: the terminal shell of the gridwork field core.

fn main() {}
