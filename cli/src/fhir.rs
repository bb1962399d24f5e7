//! FHIR R4 JSON: validation against the FHIR model of the `fhir-sdk` crate, with errors that
//! name the element path, and the short summary `medshare open` prints.
//!
//! The model is `fhir-sdk`'s R4B (FHIR 4.3.0): the crate has no 4.0.1 model, and R4B is R4's
//! technical correction whose JSON is the same for every R4 normative resource and for the
//! resources MedShare writes itself (Bundle, Consent, AuditEvent, OperationOutcome). A
//! document is valid when
//! - it is a JSON object whose `resourceType` names an R4 resource,
//! - it deserializes into that resource's model: required elements present, codes from their
//!   value sets, dates, instants, decimals and booleans well formed (nested resources, such as
//!   a Bundle's entries and contained resources, are checked the same way), and
//! - it has no element the model does not know (FHIR JSON names are case-sensitive, and a
//!   misspelt element would otherwise pass silently): every element of the input must still be
//!   there when the parsed model is written back out.
//!
//! A failure names the element path in FHIRPath form, from the root resource:
//! `Bundle.entry[1].resource.birthDate: invalid value "1990-13-01": ...`.
//!
//! Validation holds the whole document in memory (the JSON tree, the model and the tree written
//! back): measured on a bundle of small Observations, the worst case, about 40 bytes of memory
//! per byte of input (a 58 MB bundle took 2.2 GB). Documents over [`MAX_VALIDATED_LEN`] are
//! therefore refused with a clear error rather than exhausting memory; such records are stored
//! with `--raw`.

use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};
use std::{collections::BTreeMap, fmt};

/// The largest FHIR JSON document validated (16 MiB: at most about 650 MB of memory while it
/// is checked). Larger ones (a bundle of imaging studies with their attachments inline, say)
/// are refused by [`validate`] with [`FhirError::TooLarge`]: `medshare store --raw` stores
/// them without validation.
pub const MAX_VALIDATED_LEN: usize = 16 << 20;

/// Why bytes are not a valid FHIR R4 resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FhirError {
    /// Not JSON at all.
    NotJson(String),
    /// Over [`MAX_VALIDATED_LEN`].
    TooLarge {
        /// The document's length in bytes.
        len: usize,
    },
    /// JSON, but not a valid resource: `path` names the element, `problem` what is wrong.
    Invalid {
        /// The element, as a FHIRPath from the root resource (`Bundle.entry[1].resource.birthDate`).
        path: String,
        /// What is wrong with it.
        problem: String,
    },
}

impl fmt::Display for FhirError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FhirError::NotJson(error) => write!(f, "not JSON: {error}"),
            FhirError::TooLarge { len } => {
                write!(f, "{len} bytes of JSON is more than FHIR validation reads ({MAX_VALIDATED_LEN} bytes)")
            }
            FhirError::Invalid { path, problem } => write!(f, "{path}: {problem}"),
        }
    }
}

impl std::error::Error for FhirError {}

fn invalid(path: impl Into<String>, problem: impl Into<String>) -> FhirError {
    FhirError::Invalid { path: path.into(), problem: problem.into() }
}

/// What a valid document holds: its resource type and, for a Bundle, its entries by type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The root resource's type (`Bundle`, `Patient`, ...).
    pub resource_type: String,
    /// A Bundle's `type` (`collection`, `document`, ...).
    pub bundle_type: Option<String>,
    /// A Bundle's entries' resource types and how many of each (empty for other resources).
    pub entries: BTreeMap<String, usize>,
}

impl Summary {
    /// The summary as JSON: `{"resource_type", "bundle_type", "entries": {type: count}, "entry_count"}`.
    pub fn json(&self) -> Value {
        serde_json::json!({
            "resource_type": self.resource_type, "bundle_type": self.bundle_type,
            "entries": self.entries, "entry_count": self.entries.values().sum::<usize>(),
        })
    }

    /// One line for people: `FHIR R4 Bundle (collection), 3 entries: Observation 2, Patient 1`.
    pub fn line(&self) -> String {
        let Some(kind) = &self.bundle_type else { return format!("FHIR R4 {}", self.resource_type) };
        let total: usize = self.entries.values().sum();
        let counts: Vec<String> = self.entries.iter().map(|(kind, count)| format!("{kind} {count}")).collect();
        let plural = if total == 1 { "entry" } else { "entries" };
        if counts.is_empty() {
            format!("FHIR R4 {} ({kind}), no entries", self.resource_type)
        } else {
            format!("FHIR R4 {} ({kind}), {total} {plural}: {}", self.resource_type, counts.join(", "))
        }
    }
}

/// Validates `bytes` as one FHIR R4 resource (see the module's rules) and summarises it.
pub fn validate(bytes: &[u8]) -> Result<Summary, FhirError> {
    if bytes.len() > MAX_VALIDATED_LEN {
        return Err(FhirError::TooLarge { len: bytes.len() });
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|error| FhirError::NotJson(error.to_string()))?;
    validate_value(&value)?;
    Ok(summarize(&value))
}

/// Validates a parsed JSON document as one FHIR R4 resource.
pub fn validate_value(value: &Value) -> Result<(), FhirError> {
    check_resource(value, "")
}

/// The summary of a document already validated.
fn summarize(value: &Value) -> Summary {
    let resource_type = value["resourceType"].as_str().unwrap_or_default().to_owned();
    let mut entries = BTreeMap::new();
    let bundle_type = (resource_type == "Bundle").then(|| value["type"].as_str().unwrap_or_default().to_owned());
    if bundle_type.is_some() {
        for entry in value["entry"].as_array().into_iter().flatten() {
            if let Some(kind) = entry["resource"]["resourceType"].as_str() {
                *entries.entry(kind.to_owned()).or_insert(0) += 1;
            }
        }
    }
    Summary { resource_type, bundle_type, entries }
}

/// Checks one resource at `at` (empty for the root, whose path then starts with its type).
fn check_resource(value: &Value, at: &str) -> Result<(), FhirError> {
    let root = if at.is_empty() { "(root)" } else { at };
    let Some(object) = value.as_object() else { return Err(invalid(root, "a FHIR resource is a JSON object")) };
    let resource_type = match object.get("resourceType") {
        Some(Value::String(kind)) if !kind.is_empty() => kind.as_str(),
        Some(other) => return Err(invalid(format!("{root}.resourceType"), format!("must be a resource type name, not {other}"))),
        None => return Err(invalid(root, "no \"resourceType\": not a FHIR resource")),
    };
    let here = if at.is_empty() { resource_type.to_owned() } else { at.to_owned() };
    let parsed =
        parse_as(resource_type, value).ok_or_else(|| invalid(format!("{here}.resourceType"), format!("{resource_type:?} is not a FHIR R4 resource type")))?;
    match parsed {
        Ok(written_back) => match first_unknown(value, &written_back, &here) {
            Some(path) => Err(invalid(path, format!("unknown element: not in the FHIR R4 model of {resource_type} (element names are case-sensitive)"))),
            None => Ok(()),
        },
        Err(Located { segments, message }) => {
            let (node, path, nested) = descend(value, &segments, here);
            // a nested resource (a Bundle entry's, a contained one) is parsed by its type tag,
            // which hides the path inside it: check the innermost on its own to name the element
            if let Some((resource, at)) = nested {
                check_resource(resource, &at)?;
            }
            let problem = match node {
                Value::String(_) | Value::Number(_) | Value::Bool(_) => format!("invalid value {node}: {message}"),
                _ => message,
            };
            Err(invalid(path, problem))
        }
    }
}

/// One step of the path serde reports.
enum Step {
    Key(String),
    Index(usize),
}

/// A deserialization error and where it happened.
struct Located {
    segments: Vec<Step>,
    message: String,
}

/// Deserializes `value` as the model type `T`, tracking the path, and writes it back out.
fn parse_tracked<T: DeserializeOwned + Serialize>(value: &Value) -> Result<Value, Located> {
    let mut track = serde_path_to_error::Track::new();
    let parsed = T::deserialize(serde_path_to_error::Deserializer::new(value, &mut track));
    match parsed {
        Ok(model) => serde_json::to_value(&model).map_err(|error| Located { segments: Vec::new(), message: format!("cannot be written back: {error}") }),
        Err(error) => {
            let segments = track
                .path()
                .iter()
                .filter_map(|segment| match segment {
                    serde_path_to_error::Segment::Map { key } => Some(Step::Key(key.clone())),
                    serde_path_to_error::Segment::Seq { index } => Some(Step::Index(*index)),
                    _ => None,
                })
                .collect();
            Err(Located { segments, message: error.to_string() })
        }
    }
}

/// Walks `segments` down `value` from the path `at`: the node reached, its FHIRPath, and the
/// innermost resource nested on the way (with its path), if any.
fn descend<'a>(value: &'a Value, segments: &[Step], mut at: String) -> (&'a Value, String, Option<(&'a Value, String)>) {
    let mut node = value;
    let mut nested = None;
    for step in segments {
        let next = match step {
            Step::Key(key) => {
                at.push('.');
                at.push_str(key);
                node.get(key.as_str())
            }
            Step::Index(index) => {
                at.push_str(&format!("[{index}]"));
                node.get(*index)
            }
        };
        match next {
            Some(next) => node = next,
            None => break,
        }
        if node.get("resourceType").is_some() {
            nested = Some((node, at.clone()));
        }
    }
    (node, at, nested)
}

/// Whether a JSON value carries nothing (FHIR omits such elements when writing).
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        Value::Object(members) => members.is_empty(),
        _ => false,
    }
}

/// The path of the first element of `input` that is missing from `written_back` (the model
/// dropped it: it is not an element of the resource), if any.
fn first_unknown(input: &Value, written_back: &Value, at: &str) -> Option<String> {
    match (input, written_back) {
        (Value::Object(input), Value::Object(output)) => first_unknown_member(input, output, at),
        (Value::Array(input), Value::Array(output)) => {
            input.iter().zip(output).enumerate().find_map(|(index, (i, o))| first_unknown(i, o, &format!("{at}[{index}]")))
        }
        _ => None,
    }
}

fn first_unknown_member(input: &Map<String, Value>, output: &Map<String, Value>, at: &str) -> Option<String> {
    for (key, value) in input {
        if is_empty(value) {
            continue;
        }
        let path = format!("{at}.{key}");
        match output.get(key) {
            None => return Some(path),
            Some(written) => {
                if let Some(found) = first_unknown(value, written, &path) {
                    return Some(found);
                }
            }
        }
    }
    None
}

/// Declares [`parse_as`] over every resource type of the model.
macro_rules! resource_types {
    ($($name:ident)*) => {
        /// Parses `value` as the resource type named `resource_type` (`None`: no such type).
        fn parse_as(resource_type: &str, value: &Value) -> Option<Result<Value, Located>> {
            use fhir_sdk::r4b::resources as model;
            match resource_type {
                $(stringify!($name) => Some(parse_tracked::<model::$name>(value)),)*
                _ => None,
            }
        }
    };
}

resource_types! {
    Account ActivityDefinition AdministrableProductDefinition AdverseEvent AllergyIntolerance Appointment AppointmentResponse AuditEvent Basic Binary
    BiologicallyDerivedProduct BodyStructure Bundle CapabilityStatement CarePlan CareTeam CatalogEntry ChargeItem ChargeItemDefinition Citation Claim
    ClaimResponse ClinicalImpression ClinicalUseDefinition CodeSystem Communication CommunicationRequest CompartmentDefinition Composition ConceptMap
    Condition Consent Contract Coverage CoverageEligibilityRequest CoverageEligibilityResponse DetectedIssue Device DeviceDefinition DeviceMetric
    DeviceRequest DeviceUseStatement DiagnosticReport DocumentManifest DocumentReference Encounter Endpoint EnrollmentRequest EnrollmentResponse
    EpisodeOfCare EventDefinition Evidence EvidenceReport EvidenceVariable ExampleScenario ExplanationOfBenefit FamilyMemberHistory Flag Goal
    GraphDefinition Group GuidanceResponse HealthcareService ImagingStudy Immunization ImmunizationEvaluation ImmunizationRecommendation
    ImplementationGuide Ingredient InsurancePlan Invoice Library Linkage List Location ManufacturedItemDefinition Measure MeasureReport Media Medication
    MedicationAdministration MedicationDispense MedicationKnowledge MedicationRequest MedicationStatement MedicinalProductDefinition MessageDefinition
    MessageHeader MolecularSequence NamingSystem NutritionOrder NutritionProduct Observation ObservationDefinition OperationDefinition OperationOutcome
    Organization OrganizationAffiliation PackagedProductDefinition Parameters Patient PaymentNotice PaymentReconciliation Person PlanDefinition
    Practitioner PractitionerRole Procedure Provenance Questionnaire QuestionnaireResponse RegulatedAuthorization RelatedPerson RequestGroup
    ResearchDefinition ResearchElementDefinition ResearchStudy ResearchSubject RiskAssessment Schedule SearchParameter ServiceRequest Slot Specimen
    SpecimenDefinition StructureDefinition StructureMap Subscription SubscriptionStatus SubscriptionTopic Substance SubstanceDefinition SupplyDelivery
    SupplyRequest Task TerminologyCapabilities TestReport TestScript ValueSet VerificationResult VisionPrescription
}

#[cfg(test)]
mod tests {
    use super::{FhirError, MAX_VALIDATED_LEN, validate};

    const PATIENT: &str = r#"{"resourceType":"Patient","id":"p1","name":[{"family":"Chalmers","given":["Peter"]}],"gender":"male","birthDate":"1974-12-25",
        "_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":"1974-12-25T14:35:45-05:00"}]},
        "deceasedBoolean":false}"#;

    /// A Bundle of a Patient, an Observation with a value[x] and a contained resource.
    fn bundle(patient: &str) -> String {
        format!(
            r##"{{"resourceType":"Bundle","type":"collection","entry":[
                {{"fullUrl":"urn:uuid:6f1c6c8e-1b2a-4c3d-9e8f-0a1b2c3d4e5f","resource":{patient}}},
                {{"resource":{{"resourceType":"Observation","status":"final","code":{{"coding":[{{"system":"http://loinc.org","code":"4548-4"}}],"text":"Hemoglobin A1c"}},
                  "subject":{{"reference":"urn:uuid:6f1c6c8e-1b2a-4c3d-9e8f-0a1b2c3d4e5f"}},"effectiveDateTime":"2026-03-01T09:30:00Z","valueQuantity":{{"value":6.1,"unit":"%"}}}}}},
                {{"resource":{{"resourceType":"Condition","contained":[{{"resourceType":"Practitioner","id":"dr"}}],"code":{{"text":"Type 2 diabetes"}},
                  "subject":{{"reference":"urn:uuid:6f1c6c8e-1b2a-4c3d-9e8f-0a1b2c3d4e5f"}},"asserter":{{"reference":"#dr"}}}}}}]}}"##
        )
    }

    fn refused(json: &str) -> String {
        match validate(json.as_bytes()) {
            Ok(summary) => panic!("accepted {json}: {summary:?}"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn valid_resources_and_bundles_pass_and_are_summarised() {
        let patient = validate(PATIENT.as_bytes()).unwrap();
        assert_eq!((patient.resource_type.as_str(), patient.bundle_type.as_deref(), patient.entries.len()), ("Patient", None, 0));
        assert_eq!(patient.line(), "FHIR R4 Patient");
        let summary = validate(bundle(PATIENT).as_bytes()).unwrap();
        assert_eq!(summary.line(), "FHIR R4 Bundle (collection), 3 entries: Condition 1, Observation 1, Patient 1");
        assert_eq!(summary.json()["entries"]["Patient"], 1);
        assert_eq!(summary.json()["entry_count"], 3);
        let empty = validate(br#"{"resourceType":"Bundle","type":"searchset","total":0}"#).unwrap();
        assert_eq!(empty.line(), "FHIR R4 Bundle (searchset), no entries");
    }

    #[test]
    fn invalid_values_are_refused_with_their_element_path() {
        let bad_date = PATIENT.replace(r#""birthDate":"1974-12-25""#, r#""birthDate":"1990-13-01""#);
        let error = refused(&bad_date);
        assert!(error.starts_with(r#"Patient.birthDate: invalid value "1990-13-01""#), "{error}");
        // inside a Bundle: the nested resource is checked on its own to name the element
        let error = refused(&bundle(&bad_date));
        assert!(error.starts_with(r#"Bundle.entry[0].resource.birthDate: invalid value "1990-13-01""#), "{error}");
        let error = refused(&bundle(PATIENT).replace(r#""status":"final""#, r#""status":"done""#));
        assert!(error.starts_with(r#"Bundle.entry[1].resource.status: invalid value "done""#), "{error}");
        let error = refused(&bundle(PATIENT).replace(r#""type":"collection""#, r#""type":"pile""#));
        assert!(error.starts_with(r#"Bundle.type: invalid value "pile""#), "{error}");
        let error = refused(&PATIENT.replace(r#""deceasedBoolean":false"#, r#""active":"yes""#));
        assert!(error.starts_with(r#"Patient.active: invalid value "yes""#), "{error}");
    }

    #[test]
    fn missing_required_and_unknown_elements_are_refused_by_path() {
        let error = refused(r#"{"resourceType":"Observation","code":{"text":"x"}}"#);
        assert!(error.starts_with("Observation: missing field `status`"), "{error}");
        let error = refused(&PATIENT.replace(r#""birthDate""#, r#""birthdate""#));
        assert!(error.starts_with("Patient.birthdate: unknown element"), "{error}");
        let error = refused(&bundle(&PATIENT.replace(r#""family""#, r#""famly""#)));
        assert!(error.starts_with("Bundle.entry[0].resource.name[0].famly: unknown element"), "{error}");
        let error = refused(&bundle(PATIENT).replace(r#""resourceType":"Practitioner""#, r#""resourceType":"Practitioner","hobby":"golf""#));
        assert!(error.starts_with("Bundle.entry[2].resource.contained[0].hobby: unknown element"), "{error}");
        let error = refused(&bundle(PATIENT).replace(r#""resourceType":"Practitioner""#, r#""resourceType":"Practitioner","qualification":[{}]"#));
        assert!(error.starts_with("Bundle.entry[2].resource.contained[0].qualification[0]: missing field `code`"), "{error}");
    }

    #[test]
    fn what_is_not_a_resource_says_so() {
        assert!(matches!(validate(b"not json"), Err(FhirError::NotJson(_))));
        assert!(matches!(validate(b""), Err(FhirError::NotJson(_))));
        assert_eq!(refused(r#"["Patient"]"#), "(root): a FHIR resource is a JSON object");
        assert_eq!(refused(r#"{"id":"p1"}"#), r#"(root): no "resourceType": not a FHIR resource"#);
        assert_eq!(refused(r#"{"resourceType":7}"#), "(root).resourceType: must be a resource type name, not 7");
        assert_eq!(refused(r#"{"resourceType":"Patiend"}"#), r#"Patiend.resourceType: "Patiend" is not a FHIR R4 resource type"#);
        let error = refused(r#"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Pet"}}]}"#);
        assert_eq!(error, r#"Bundle.entry[0].resource.resourceType: "Pet" is not a FHIR R4 resource type"#);
        let huge = vec![b' '; MAX_VALIDATED_LEN + 1];
        assert_eq!(validate(&huge), Err(FhirError::TooLarge { len: MAX_VALIDATED_LEN + 1 }));
    }
}
