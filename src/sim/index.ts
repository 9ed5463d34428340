// Public surface of the simulator (`oio-repaird sim`): a node:http server that speaks the
// OpenIO proxy and account service APIs for a simulated namespace with injectable faults.
export { startSimulator } from './server.js';
export { OIO_VERSIONS, quirksOf } from './versions.js';
export type { OioVersion, ProxyQuirks } from './versions.js';
export type { Simulator, SimulatorOptions } from './server.js';
export { loadScenario, parseScenario, parseFault, demoScenario, ScenarioError } from './scenario.js';
export type { Scenario, ScenarioContainer } from './scenario.js';
export type { GenerateOptions, GeneratedDamage } from './generator.js';
export { DEFAULT_DAMAGE_MIX } from './generator.js';
export type {
  FaultKind, FaultSpec, InjectedFault, ReplicaFaultKind, ReplicaFaultSpec, ServiceFaultSpec, ElectionFaultSpec,
} from './faults.js';
export { REPLICA_FAULT_KINDS, SERVICE_FAULT_KINDS, ELECTION_FAULT_KINDS, SimFaultError } from './faults.js';
export type { ContainerTruth, ReplicaTruth, BaseState, SimRole } from './model.js';
export type { SimStats, ServiceStats } from './stats.js';
