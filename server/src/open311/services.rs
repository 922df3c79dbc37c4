//! `GET services.{json,xml}` and `GET services/{code}.json`: the server's catalogue as
//! Open311 services. The service code is the category code; the name is the Chinese
//! one (`?locale=en`: the English one), the description the other; `group` is the major
//! class, `keywords` the kind (component or event). No service takes extra attributes
//! (`metadata` is false), so a definition lists none.

use super::{catalog, json, xml, xml_body, Format, Open311Error};
use crate::api::AppState;
use axum::{
    extract::{Path, Query, State},
    response::Response,
};
use gridwork_core::catalog::{major_class_name, Catalog, Category, CategoryKind};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One service of `services.json`.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Service {
    /// The category code.
    pub service_code: String,
    /// Its name.
    pub service_name: String,
    /// Its name in the other language, and what closes such a case.
    pub description: String,
    /// Whether a definition with attributes exists (never).
    pub metadata: bool,
    /// `realtime`: a request becomes a case at once.
    #[serde(rename = "type")]
    pub kind: String,
    /// The kind: `component` or `event`.
    pub keywords: String,
    /// The major class.
    pub group: String,
}

fn english(params: &HashMap<String, String>) -> bool {
    crate::params::open311_english(params)
}

fn service(catalog: &Catalog, c: &Category, english: bool) -> Service {
    let (name, other) = if english {
        (&c.name_en, &c.name_zh)
    } else {
        (&c.name_zh, &c.name_en)
    };
    let group = major_class_name(c.code.major())
        .map(|(zh, en)| if english { en } else { zh }.to_string())
        .unwrap_or_else(|| c.code.major().to_string());
    Service {
        service_code: catalog.reference(c),
        service_name: name.clone(),
        description: if c.closing_condition.is_empty() {
            other.clone()
        } else {
            format!("{other}. {}", c.closing_condition)
        },
        metadata: false,
        kind: "realtime".into(),
        keywords: match c.kind {
            CategoryKind::Component => "component",
            CategoryKind::Event => "event",
        }
        .into(),
        group,
    }
}

fn services(catalog: Option<&Catalog>, english: bool) -> Vec<Service> {
    catalog
        .map(|cat| {
            cat.categories()
                .iter()
                .map(|c| service(cat, c, english))
                .collect()
        })
        .unwrap_or_default()
}

/// `GET services.json`.
pub(super) async fn list_json(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, Open311Error> {
    let catalog = catalog(&*state.storage).await?;
    Ok(json(&services(catalog.as_deref(), english(&params))))
}

/// `GET services.xml`.
pub(super) async fn list_xml(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, Open311Error> {
    let catalog = catalog(&*state.storage)
        .await
        .map_err(|e| e.in_format(Format::Xml))?;
    let mut w = xml::Writer::new("services");
    for s in services(catalog.as_deref(), english(&params)) {
        let value = serde_json::to_value(&s).unwrap_or_default();
        xml::object(&mut w, "service", &value);
    }
    Ok(xml_body(w.finish()))
}

/// A service definition: its code and (no) attributes.
#[derive(Debug, Serialize)]
struct Definition {
    service_code: String,
    attributes: Vec<serde_json::Value>,
}

/// `GET services/{code}.json` (and `.xml`).
pub(super) async fn definition(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, Open311Error> {
    let Some((code, format)) = Format::split(&file) else {
        return Err(Open311Error::not_found(
            "a service definition is {code}.json or .xml",
        ));
    };
    let catalog = catalog(&*state.storage)
        .await
        .map_err(|e| e.in_format(format))?;
    let Some(category) = catalog.as_deref().and_then(|c| c.get(code)) else {
        return Err(Open311Error::not_found(format!("no service {code}")).in_format(format));
    };
    let def = Definition {
        service_code: catalog
            .as_deref()
            .map_or_else(|| code.to_string(), |c| c.reference(category)),
        attributes: Vec::new(),
    };
    Ok(match format {
        Format::Json => json(&def),
        Format::Xml => {
            let mut w = xml::Writer::new("service_definition");
            w.field("service_code", &def.service_code);
            w.open("attributes");
            w.close("attributes");
            xml_body(w.finish())
        }
    })
}
