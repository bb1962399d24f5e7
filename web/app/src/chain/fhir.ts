// FHIR R4 in the browser: a structural check before a record is sealed, and a readable
// summary of an opened one.
//
// The CLI validates against fhir-sdk's full R4 model (cli/src/fhir.rs), which is far too big
// for a web bundle. Here the check is structural, with the CLI's phrasing and element paths:
// the bytes are UTF-8 JSON of at most 16 MiB (the CLI's MAX_VALIDATED_LEN), the root is an
// object whose `resourceType` names an R4 resource, and every nested resource (a Bundle's
// `entry[i].resource`, a `contained[i]`) is checked the same way; a Bundle has a `type` and an
// `entry` array whose elements are objects carrying a `resource`; an `id` is a FHIR id.
// Element-level rules (value sets, date formats, unknown elements) are the CLI's to check: a
// bundle the browser accepts may still be refused by `medshare store` (and one it refuses, the
// CLI refuses too).

import { MedShareError } from './errors';

/** The largest document validated, as the CLI's `MAX_VALIDATED_LEN` (16 MiB). */
export const MAX_FHIR_LEN = 16 << 20;

/** What an opened or validated FHIR document holds, for people. */
export interface FhirSummary {
  /** The root resource's type (`Bundle`, `Patient`, ...). */
  resourceType: string;
  /** A Bundle's entries, or the root resource itself: type, id and one line about it. */
  entries: { resourceType: string; id?: string; summary: string }[];
}

/** The resource types of FHIR R4 (4.0.1). */
const R4_RESOURCE_TYPES = new Set(
  (
    'Account ActivityDefinition AdverseEvent AllergyIntolerance Appointment AppointmentResponse AuditEvent Basic Binary ' +
    'BiologicallyDerivedProduct BodyStructure Bundle CapabilityStatement CarePlan CareTeam CatalogEntry ChargeItem ' +
    'ChargeItemDefinition Claim ClaimResponse ClinicalImpression CodeSystem Communication CommunicationRequest ' +
    'CompartmentDefinition Composition ConceptMap Condition Consent Contract Coverage CoverageEligibilityRequest ' +
    'CoverageEligibilityResponse DetectedIssue Device DeviceDefinition DeviceMetric DeviceRequest DeviceUseStatement ' +
    'DiagnosticReport DocumentManifest DocumentReference EffectEvidenceSynthesis Encounter Endpoint EnrollmentRequest ' +
    'EnrollmentResponse EpisodeOfCare EventDefinition Evidence EvidenceVariable ExampleScenario ExplanationOfBenefit ' +
    'FamilyMemberHistory Flag Goal GraphDefinition Group GuidanceResponse HealthcareService ImagingStudy Immunization ' +
    'ImmunizationEvaluation ImmunizationRecommendation ImplementationGuide InsurancePlan Invoice Library Linkage List ' +
    'Location Measure MeasureReport Media Medication MedicationAdministration MedicationDispense MedicationKnowledge ' +
    'MedicationRequest MedicationStatement MedicinalProduct MedicinalProductAuthorization ' +
    'MedicinalProductContraindication MedicinalProductIndication MedicinalProductIngredient ' +
    'MedicinalProductInteraction MedicinalProductManufactured MedicinalProductPackaged MedicinalProductPharmaceutical ' +
    'MedicinalProductUndesirableEffect MessageDefinition MessageHeader MolecularSequence NamingSystem NutritionOrder ' +
    'Observation ObservationDefinition OperationDefinition OperationOutcome Organization OrganizationAffiliation ' +
    'Parameters Patient PaymentNotice PaymentReconciliation Person PlanDefinition Practitioner PractitionerRole ' +
    'Procedure Provenance Questionnaire QuestionnaireResponse RelatedPerson RequestGroup ResearchDefinition ' +
    'ResearchElementDefinition ResearchStudy ResearchSubject RiskAssessment RiskEvidenceSynthesis Schedule ' +
    'SearchParameter ServiceRequest Slot Specimen SpecimenDefinition StructureDefinition StructureMap Subscription ' +
    'Substance SubstanceNucleicAcid SubstancePolymer SubstanceProtein SubstanceReferenceInformation ' +
    'SubstanceSourceMaterial SubstanceSpecification SupplyDelivery SupplyRequest Task TerminologyCapabilities ' +
    'TestReport TestScript ValueSet VerificationResult VisionPrescription'
  ).split(' '),
);

/** A FHIR `id`: 1 to 64 of `A-Z a-z 0-9 - .`. */
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (value: Json | undefined): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `NotFhir` naming the element path, as the CLI words it (`Bundle.entry[2].resource: ...`). */
function notFhir(path: string, problem: string): MedShareError {
  return new MedShareError('NotFhir', `not FHIR R4 JSON: ${path}: ${problem}`);
}

/** Checks one resource at `at` (empty for the root, whose path then starts with its type). */
function checkResource(value: Json, at: string): string {
  const root = at === '' ? '(root)' : at;
  if (!isObject(value)) throw notFhir(root, 'a FHIR resource is a JSON object');
  const kind = value.resourceType;
  if (kind === undefined) throw notFhir(root, 'no "resourceType": not a FHIR resource');
  if (typeof kind !== 'string' || kind === '') throw notFhir(`${root}.resourceType`, `must be a resource type name, not ${JSON.stringify(kind)}`);
  const here = at === '' ? kind : at;
  if (!R4_RESOURCE_TYPES.has(kind)) throw notFhir(`${here}.resourceType`, `${JSON.stringify(kind)} is not a FHIR R4 resource type`);
  if (value.id !== undefined && (typeof value.id !== 'string' || !FHIR_ID.test(value.id))) {
    throw notFhir(`${here}.id`, `invalid value ${JSON.stringify(value.id)}: an id is 1 to 64 letters, digits, '-' or '.'`);
  }
  if (value.contained !== undefined) {
    if (!Array.isArray(value.contained)) throw notFhir(`${here}.contained`, 'must be an array of resources');
    value.contained.forEach((resource, i) => checkResource(resource, `${here}.contained[${i}]`));
  }
  if (kind === 'Bundle') {
    if (typeof value.type !== 'string' || value.type === '') throw notFhir(`${here}.type`, 'a Bundle needs its type (collection, document, ...)');
    if (value.entry !== undefined) {
      if (!Array.isArray(value.entry)) throw notFhir(`${here}.entry`, 'must be an array');
      value.entry.forEach((entry, i) => {
        const path = `${here}.entry[${i}]`;
        if (!isObject(entry)) throw notFhir(path, 'an entry is a JSON object');
        if (entry.resource === undefined) throw notFhir(`${path}.resource`, 'missing: every entry carries a resource');
        checkResource(entry.resource, `${path}.resource`);
      });
    }
  }
  return kind;
}

/** The document parsed, or `NotFhir` saying why it is not JSON (or too large to check). */
function parse(bytes: Uint8Array): Json {
  if (bytes.length > MAX_FHIR_LEN) {
    throw new MedShareError('NotFhir', `not FHIR R4 JSON: ${bytes.length} bytes of JSON is more than FHIR validation reads (${MAX_FHIR_LEN} bytes)`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new MedShareError('NotFhir', 'not FHIR R4 JSON: not JSON: the file is not UTF-8 text');
  }
  try {
    return JSON.parse(text) as Json;
  } catch (error) {
    throw new MedShareError('NotFhir', `not FHIR R4 JSON: not JSON: ${(error as Error).message}`);
  }
}

/** Checks that `bytes` are a FHIR R4 resource (structurally, see the module comment) and says
 * what they hold; throws `MedShareError('NotFhir')` naming the element path otherwise. */
export function validateFhir(bytes: Uint8Array): FhirSummary {
  const document = parse(bytes);
  const resourceType = checkResource(document, '');
  const root = document as JsonObject;
  if (resourceType !== 'Bundle') return { resourceType, entries: [describe(root)] };
  const entries = Array.isArray(root.entry) ? root.entry : [];
  return { resourceType, entries: entries.map((entry) => describe((entry as JsonObject).resource as JsonObject)) };
}

/** One resource as type, id and a line of what matters in it. */
function describe(resource: JsonObject): { resourceType: string; id?: string; summary: string } {
  const parts = [name(resource.name), concept(resource.code), value(resource), text(resource.status), when(resource)].filter((part): part is string => !!part);
  const summary = parts.length > 0 ? parts.join(' · ') : String(resource.resourceType);
  return typeof resource.id === 'string' ? { resourceType: String(resource.resourceType), id: resource.id, summary } : { resourceType: String(resource.resourceType), summary };
}

const text = (value: Json | undefined): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);

/** A HumanName list or a plain name. */
function name(value: Json | undefined): string | undefined {
  if (typeof value === 'string') return text(value);
  const first = Array.isArray(value) ? value[0] : value;
  if (!isObject(first)) return undefined;
  if (text(first.text)) return text(first.text);
  const given = Array.isArray(first.given) ? first.given.filter((g) => typeof g === 'string').join(' ') : '';
  return text(`${given} ${typeof first.family === 'string' ? first.family : ''}`);
}

/** A CodeableConcept's text, or its first coding's display or code. */
function concept(value: Json | undefined): string | undefined {
  if (!isObject(value)) return undefined;
  if (text(value.text)) return text(value.text);
  const coding = Array.isArray(value.coding) ? value.coding.find(isObject) : undefined;
  return coding ? text(coding.display) ?? text(coding.code) : undefined;
}

/** An Observation-like `value[x]`. */
function value(resource: JsonObject): string | undefined {
  const quantity = resource.valueQuantity;
  if (isObject(quantity) && typeof quantity.value === 'number') return `${quantity.value}${text(quantity.unit) ? ` ${text(quantity.unit)}` : ''}`;
  if (resource.valueCodeableConcept !== undefined) return concept(resource.valueCodeableConcept);
  for (const key of ['valueString', 'valueBoolean', 'valueInteger', 'valueDateTime']) {
    const found = resource[key];
    if (found !== undefined && found !== null && typeof found !== 'object') return String(found);
  }
  return concept(resource.medicationCodeableConcept);
}

/** The first date a resource carries. */
function when(resource: JsonObject): string | undefined {
  for (const key of ['birthDate', 'effectiveDateTime', 'onsetDateTime', 'authoredOn', 'recordedDate', 'occurrenceDateTime', 'issued', 'date']) {
    if (text(resource[key])) return text(resource[key]);
  }
  return undefined;
}
