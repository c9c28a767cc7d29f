//! legit's widget. Its components arrive with issue #5; until then the crate only reserves its place in the
//! workspace.
