//! What the page asks before it makes anything (in the small module too): the defaults and the
//! name constraints for a list of names.

use wasm_bindgen::prelude::*;

use selfsign_core::validity::{CA_DAYS, LEAF_DAYS, MAX_DAYS, WEBTRANSPORT_DAYS};
use selfsign_core::{parse_names, KeyAlgorithm, NameConstraints};

use crate::error::Error;
use crate::input::NameList;
use crate::output::{to_js, Defaults};

/// The name constraints that permit exactly these names: DNS names (wildcards as their domain),
/// IP addresses, and email domains. Pass the result as `nameConstraints` to `generateCa`.
#[wasm_bindgen(js_name = nameConstraintsFor, unchecked_return_type = "string[]")]
pub fn name_constraints_for(
    #[wasm_bindgen(unchecked_param_type = "string | string[]")] names: JsValue,
) -> Result<JsValue, Error> {
    let list: NameList = serde_wasm_bindgen::from_value(names)
        .map_err(|_| Error::invalid("names", "expected names as text or an array"))?;
    let names = parse_names(&list.0)?;
    to_js(&NameConstraints::entries_for(&names)?)
}

/// Default validities, limits and the key algorithms that can be generated.
#[wasm_bindgen(unchecked_return_type = "Defaults")]
pub fn defaults() -> Result<JsValue, Error> {
    to_js(&Defaults {
        leaf_days: LEAF_DAYS,
        ca_days: CA_DAYS,
        web_transport_days: WEBTRANSPORT_DAYS,
        max_days: MAX_DAYS,
        algorithms: KeyAlgorithm::GENERATABLE
            .iter()
            .map(|k| (k.name(), k.description()))
            .collect(),
    })
}
