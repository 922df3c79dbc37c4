//! docs/openapi.yaml documents exactly what the router serves, and real responses
//! satisfy its schemas (required fields, types, enums, consts, oneOf).

use crate::common::*;
use gridwork_core::model::Role;
use gridwork_server::{api::ROUTES, Limits};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"];

pub fn spec() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

fn documented(spec: &Value) -> BTreeMap<String, BTreeSet<String>> {
    spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(path, item)| {
            let methods = item
                .as_object()
                .unwrap()
                .keys()
                .map(|k| k.to_uppercase())
                .filter(|k| METHODS.contains(&k.as_str()))
                .collect();
            (path.clone(), methods)
        })
        .collect()
}

/// Checks `v` against `schema`; returns what does not fit.
pub fn check(spec: &Value, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.strip_prefix("#/components/schemas/").unwrap();
        return check(spec, &spec["components"]["schemas"][name], v, at);
    }
    if let Some(alts) = schema.get("oneOf").and_then(Value::as_array) {
        let fits = alts
            .iter()
            .filter(|s| check(spec, s, v, at).is_ok())
            .count();
        return if fits == 1 {
            Ok(())
        } else {
            Err(format!("{at}: {fits} oneOf branches fit"))
        };
    }
    if let Some(c) = schema.get("const") {
        if v != c {
            return Err(format!("{at}: {v} is not {c}"));
        }
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        if !e.contains(v) {
            return Err(format!("{at}: {v} not among {e:?}"));
        }
    }
    if let Some(t) = schema.get("type").and_then(Value::as_str) {
        let ok = match t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            "boolean" => v.is_boolean(),
            _ => true,
        };
        if !ok {
            return Err(format!("{at}: {v} is not a {t}"));
        }
    }
    if let Some(req) = schema.get("required").and_then(Value::as_array) {
        for k in req {
            if v.get(k.as_str().unwrap()).is_none() {
                return Err(format!("{at}: required field {k} missing"));
            }
        }
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (k, s) in props {
            if let Some(x) = v.get(k) {
                check(spec, s, x, &format!("{at}.{k}"))?;
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
        for (i, x) in arr.iter().enumerate() {
            check(spec, items, x, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

pub fn response_schema(spec: &Value, path: &str, method: &str, status: u16) -> Value {
    let mut r = spec["paths"][path][method]["responses"][status.to_string()].clone();
    if let Some(name) = r.get("$ref").and_then(Value::as_str) {
        let name = name.strip_prefix("#/components/responses/").unwrap();
        r = spec["components"]["responses"][name].clone();
    }
    r["content"]["application/json"]["schema"].clone()
}

#[test]
fn the_spec_documents_exactly_the_routes() {
    let spec = spec();
    assert_eq!(spec["openapi"], "3.1.0");
    let served: BTreeMap<String, BTreeSet<String>> = ROUTES
        .iter()
        .map(|(p, ms)| (p.to_string(), ms.iter().map(|m| m.to_string()).collect()))
        .collect();
    assert_eq!(documented(&spec), served);
    // The console's web pages are not protocol v1 and stay out of the spec.
    for (path, _) in gridwork_server::console::ROUTES {
        assert!(spec["paths"].get(*path).is_none(), "{path} is in the spec");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_router_serves_exactly_the_documented_methods() {
    let spec = spec();
    let live = live(Limits::default()).await;
    let c = crate::common::http_client();
    for (path, methods) in documented(&spec) {
        let url = format!("{}{}", live.base, path.replace("{sha256}", &"a".repeat(64)));
        for m in METHODS {
            let res = c
                .request(Method::from_bytes(m.as_bytes()).unwrap(), &url)
                .send()
                .await
                .unwrap();
            assert_eq!(res.headers()["gridwork-protocol"], "1", "{m} {path}");
            let served = methods.contains(*m) || (*m == "HEAD" && methods.contains("GET"));
            if served {
                assert_ne!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "{m} {path}");
                if *m != "HEAD" {
                    let body: Value = res.json().await.unwrap_or(Value::Null);
                    assert_ne!(body["error"]["message"], "no such route", "{m} {path}");
                }
            } else {
                assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "{m} {path}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_responses_fit_the_schemas() {
    let spec = spec();
    let live = live(Limits::default()).await;
    let c = crate::common::http_client();
    let fits = |path: &str, method: &str, status: u16, body: &Value| {
        let schema = response_schema(&spec, path, method, status);
        assert!(
            schema.is_object(),
            "{method} {path} {status} is not documented"
        );
        check(&spec, &schema, body, "$")
            .unwrap_or_else(|e| panic!("{method} {path} {status}: {e}"));
    };
    let res = c
        .post(format!("{}/v1/login", live.base))
        .json(&json!({"user": "li", "password": "pw-li", "device_id": "phone-li"}))
        .send()
        .await
        .unwrap();
    let login: Value = res.json().await.unwrap();
    fits("/v1/login", "post", 200, &login);
    let token = login["token"].as_str().unwrap().to_string();
    let me: Value = c
        .get(format!("{}/v1/me", live.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    fits("/v1/me", "get", 200, &me);
    let mut d = Device::new("phone-li", "li", Role::Worker);
    let events = vec![d.report(Some("32050800101")), d.report(Some("32050800201"))];
    let request = json!({ "events": events });
    check(
        &spec,
        &json!({"$ref": "#/components/schemas/PushRequest"}),
        &request,
        "$",
    )
    .unwrap();
    let url = format!("{}/v1/events", live.base);
    for _ in 0..2 {
        let push: Value = c
            .post(&url)
            .bearer_auth(&token)
            .json(&request)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        fits("/v1/events", "post", 200, &push);
    }
    let pull: Value = c
        .get(format!("{url}?after=0"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(pull["events"].as_array().unwrap().len(), 1);
    fits("/v1/events", "get", 200, &pull);
    let res = c.get(&url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    fits("/v1/events", "get", 401, &res.json().await.unwrap());
    // The supervisor API's read side.
    let case_id = events[0].stream.id();
    let get = |path: String| {
        c.get(format!("{}{path}", live.base))
            .bearer_auth(&token)
            .send()
    };
    let res = get("/v1/cases?limit=1".into()).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let list: Value = res.json().await.unwrap();
    assert_eq!(list["cases"][0]["id"], case_id.to_string());
    fits("/v1/cases", "get", 200, &list);
    for (query, status) in [("?limit=201", 400), ("?area=320508002", 403)] {
        let res = get(format!("/v1/cases{query}")).await.unwrap();
        assert_eq!(res.status().as_u16(), status);
        fits("/v1/cases", "get", status, &res.json().await.unwrap());
    }
    let res = get(format!("/v1/cases/{case_id}")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let case: Value = res.json().await.unwrap();
    assert_eq!(case["timeline"].as_array().unwrap().len(), 1);
    fits("/v1/cases/{id}", "get", 200, &case);
    check(
        &spec,
        &json!({"$ref": "#/components/schemas/CaseItem"}),
        &case,
        "$",
    )
    .unwrap();
    let res = get(format!("/v1/cases/{}", uuid::Uuid::now_v7()))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    fits("/v1/cases/{id}", "get", 404, &res.json().await.unwrap());
    let res = c
        .get(format!("{}/v1/cases", live.base))
        .send()
        .await
        .unwrap();
    fits("/v1/cases", "get", 401, &res.json().await.unwrap());
    // The map's overview: a marker, then (a second report beside it) a cluster.
    let map_url = "/v1/map?bbox=120.5,31.2,120.7,31.4&zoom=13".to_string();
    let res = get(map_url.clone()).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let overview: Value = res.json().await.unwrap();
    assert_eq!(overview["markers"][0]["id"], case_id.to_string());
    fits("/v1/map", "get", 200, &overview);
    let beside = d.report_with_photos(Some("32050800101"), &[(&"d".repeat(64), 9)]);
    let res = c
        .post(&url)
        .bearer_auth(&token)
        .json(&json!({ "events": [beside] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let overview: Value = get(map_url).await.unwrap().json().await.unwrap();
    assert_eq!(overview["clusters"][0]["count"], 2, "{overview}");
    assert!(overview["clusters"][0]["photo"]["url"].is_string());
    fits("/v1/map", "get", 200, &overview);
    for (query, status) in [
        ("?bbox=1,2,3&zoom=13", 400),
        ("?bbox=120.5,31.2,120.7,31.4&zoom=13&area=320508002", 403),
    ] {
        let res = get(format!("/v1/map{query}")).await.unwrap();
        assert_eq!(res.status().as_u16(), status);
        fits("/v1/map", "get", status, &res.json().await.unwrap());
    }
    let res = c
        .get(format!(
            "{}/v1/map?bbox=120.5,31.2,120.7,31.4&zoom=13",
            live.base
        ))
        .send()
        .await
        .unwrap();
    fits("/v1/map", "get", 401, &res.json().await.unwrap());
    live.reference("li", &[(&"a".repeat(64), 4)]).await;
    let res = c
        .put(format!("{}/v1/blobs/{}", live.base, "a".repeat(64)))
        .bearer_auth(&token)
        .header("content-range", "bytes 0-1/4")
        .body(vec![1u8, 2])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    fits("/v1/blobs/{sha256}", "put", 202, &res.json().await.unwrap());
    let res = c
        .get(format!("{}/v1/catalog", live.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    fits("/v1/catalog", "get", 404, &res.json().await.unwrap());
    // A console action: the case view after it, and the workflow's refusal.
    let reported = {
        let li = live.state.storage.account("li").await.unwrap().unwrap();
        let mut d = Device::new("phone-li-2", "li", Role::Worker);
        let e = d.report(Some("32050800101"));
        live.state.storage.push(&li, vec![e.clone()]).await.unwrap();
        e.stream.id()
    };
    let wang = live.token("wang").await;
    let act = |action: &str| {
        c.post(format!("{}/v1/cases/{reported}/actions", live.base))
            .bearer_auth(&wang)
            .json(&json!({ "action": action }))
            .send()
    };
    let res = act("register").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    fits(
        "/v1/cases/{id}/actions",
        "post",
        200,
        &res.json().await.unwrap(),
    );
    let res = act("close").await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    fits(
        "/v1/cases/{id}/actions",
        "post",
        409,
        &res.json().await.unwrap(),
    );
    // Sign-in with another account's device, then too many failures.
    let login = |user: &str, password: &str| {
        c.post(format!("{}/v1/login", live.base))
            .json(&json!({"user": user, "password": password, "device_id": "phone-li"}))
            .send()
    };
    let res = login("wang", "pw-wang").await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    fits("/v1/login", "post", 409, &res.json().await.unwrap());
    let mut res = login("wang", "guess").await.unwrap();
    while res.status() == StatusCode::UNAUTHORIZED {
        res = login("wang", "guess").await.unwrap();
    }
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        res.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    fits("/v1/login", "post", 429, &res.json().await.unwrap());
}

#[test]
fn canonical_json_is_what_sync_protocol_md_says() {
    use gridwork_core::model::canonical_json;
    let v: Value = serde_json::from_str(r#"{"b":{"d":1,"c":2},"a":[{"y":1,"x":2.5}]}"#).unwrap();
    assert_eq!(
        canonical_json(&v),
        r#"{"a":[{"x":2.5,"y":1}],"b":{"c":2,"d":1}}"#
    );
    let floats = json!([31.0, 0.0001, 1e-7, 1e16, -1.5e300, 2.5, 7, "é\n\u{1}"]);
    assert_eq!(
        canonical_json(&floats),
        r#"[31.0,0.0001,1e-7,1e+16,-1.5e+300,2.5,7,"é\n\u0001"]"#
    );
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/sync-protocol.md"),
    )
    .unwrap();
    assert!(doc.contains(r#"`{"a":[{"x":2.5,"y":1}],"b":{"c":2,"d":1}}`"#));
}
