// fhir_validate checks a FHIR R4 resource (Haven's export bundle) against the
// R4 (4.0.1) StructureDefinitions that FHIR.js ships — an implementation
// independent of Haven's exporter. Usage: node tools/fhir_validate.mjs FILE
// Prints {"valid", "errors": [...]} and exits 1 when the resource is invalid.
// Unknown elements are errors; value-set membership of codes FHIR.js cannot
// look up (LOINC, local code systems) is only a warning, as in the spec.
import { readFileSync } from 'node:fs';
import fhirPkg from 'fhir';

const { Fhir } = fhirPkg;
const resource = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const result = new Fhir().validate(resource, { errorOnUnexpected: true });
const errors = result.messages.filter((m) => m.severity === 'error').map((m) => `${m.location}: ${m.message}`);
process.stdout.write(JSON.stringify({ valid: result.valid, errors }) + '\n');
process.exit(result.valid ? 0 : 1);
