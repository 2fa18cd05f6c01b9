// The incident scenarios and controls, for rule tests: each generator writes a capture and says
// what a correct diagnosis of it contains (see docs/incidents.md).
export { generateIncidentA, type IncidentAParams, type IncidentAFacts } from './incident-a.js';
export { generateIncidentB, type IncidentBParams, type IncidentBFacts } from './incident-b.js';
export { generateIncidentC, type IncidentCParams, type IncidentCFacts, type IncidentCVariant } from './incident-c.js';
export { generateIncidentD, type IncidentDParams, type IncidentDFacts, percentile } from './incident-d.js';
export { generateHealthyNlm, generateHealthySmb, generateNoise } from './controls.js';
export { checkFindings, quietExcept, type Expectation, type ExpectedFinding, type Generated } from './expect.js';
