/** Network descriptions built from layers: the builder API, the JSON form and today's form. */
export * from './layers';
export { parseNetwork, readNetworkFile, networkToJson, layerToJson } from './json';
export { describeStandard, standardNetwork } from './standard';
