//! Reading the plain JS objects the API returns, for the browser tests.
#![allow(dead_code)] // each test file uses its own share

use js_sys::{Reflect, JSON};
use wasm_bindgen::JsValue;

/// An options object from JSON text.
pub fn js(json: &str) -> JsValue {
    JSON::parse(json).expect("test JSON parses")
}

/// A property by dotted path, e.g. `info.subjectAltNames`.
pub fn get(value: &JsValue, path: &str) -> JsValue {
    path.split('.').fold(value.clone(), |v, key| {
        Reflect::get(&v, &key.into()).expect("property readable")
    })
}

/// A string property by dotted path.
pub fn text(value: &JsValue, path: &str) -> String {
    get(value, path)
        .as_string()
        .unwrap_or_else(|| panic!("{path} is not a string"))
}

/// An array of strings by dotted path.
pub fn strings(value: &JsValue, path: &str) -> Vec<String> {
    js_sys::Array::from(&get(value, path))
        .iter()
        .map(|v| v.as_string().expect("string entry"))
        .collect()
}

/// The value of a call that must succeed, or a panic with the thrown error's message.
pub fn ok(result: Result<JsValue, impl Into<JsValue>>) -> JsValue {
    result.map_err(Into::into).unwrap_or_else(|e: JsValue| {
        let message = get(&e, "message").as_string().unwrap_or_default();
        panic!("unexpected error: {message}")
    })
}
