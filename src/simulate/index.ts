/** Monte Carlo of finite-width networks: simulators, statistics, the validator. */
export { Rng, streamState, MAX_SEED } from './rng';
export { SimSpec, Sampler, simSpec, checkSpec, MAX_WIDTH } from './spec';
export { simulator, jacobian, NetworkSimulator, LayerView, LayerObserver, RunOverrides } from './samplers';
export { ObservationPlan, seriesIndex, planLayout, makeObserver } from './observe';
export { MonteCarloJob, MonteCarloResult, RunOptions, runMonteCarlo, runChunk, chunkSize, costPerNetwork } from './montecarlo';
export { WorkerPool } from './pool';
export * as stats from './stats';
export { choleskyPsd, circleKernel, twoInputKernel } from './linalg';
export { linearNetworkMoments, ExactMoments } from './exact';
export { OneLoopTable, MeanFieldTable, meanFieldTheory, oneLoopTheory } from './theory';
export { validate, ValidateOptions, ValidationReport, QuantityReport, FitReport, LayerRow, FitRow, WidthRun } from './validate';
export { validationPlotSpec, renderSvg, writeValidationPlot, writeFileAtomic } from './plot';
