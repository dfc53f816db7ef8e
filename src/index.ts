/**
 * fieldprop — public TypeScript API.
 *
 * One network description (`network(...)`), interpreted three ways:
 *   symbolically (src/symbolic: expressions, LaTeX), numerically (float64, decimal.js or dual
 *   fields in src/numeric, quadrature in src/interpret) and by simulation (src/simulate).
 */
export { Field, float64, decimalField, fsum } from './numeric/field';
export { Activation, ClosedForm, activation, BUILTIN_ACTIVATIONS } from './model/activation';
export { Network, NetworkOptions, network, DEFAULT_NETWORK, branchFactor } from './model/network';
export { InputError, NumericalError } from './model/errors';
export { Interpretation, Integrand, float64Interp, decimalInterp, productIntegrand } from './interpret/numeric';
export { KernelTable, meanFieldKernels, kernelStep, inputKernel } from './quantities/kernel';
export { phiPhi, phiSquare } from './quantities/moments';
export { FixedPoint, CriticalPoint, fixedPoint, criticalPoint, qStar } from './quantities/fixedpoint';
export { verifiedDecimal, VerifiedResult } from './quantities/verified';
export { meanFieldResponse, propagator, closedFormDerivatives, dPairdK12, dSquaredK, MeanFieldResponse } from './quantities/response';
export { locateMaximum, optimalAlpha, sensitivity64, sensitivityAndSlope, asymptoticOptimum, asymptoticFormulaLatex, finiteWidthOptimum, FiniteWidthOptimum } from './quantities/optimal';
export { oneLoop64, oneLoopTwoInput64, oneLoopExpansionParameter, OneLoopTable, correlationOneLoop64, sensitivityOneLoop64, widthWarnings, CorrelationOneLoop, SensitivityOneLoop, Grid2, GridStage, twoInputGridFor, refineGrid2, comparisonGrid2, sensitivityC0Step } from './quantities/loop';
export { Dual, dualField } from './numeric/dual';
export { dualInterp } from './interpret/dual';
export { symbolicField, evaluateIn } from './interpret/symbolic';
export * as simulate from './simulate';
export * as symbolic from './symbolic';
export * as special from './numeric/special';
export * as gaussian from './numeric/gaussian';
export * as quadrature from './numeric/quadrature';
export { main } from './cli/main';
export * from './api';
export * as batchnorm from './quantities/batchnorm';
export * as batchnormSim from './simulate/batchnorm';
export * as batchnormReport from './quantities/batchnormReport';
export * as derivations from './derivations';
export * as cnn from './quantities/cnn';
export * as cnnSim from './simulate/cnn';
export * as fft from './numeric/fft';
export { buildReport, ReportData, ReportSettings, REPORT_DEFAULTS, REPORT_QUICK } from './report/report';
export { renderHtml as renderReportHtml } from './report/html';
export { runNotebook, readNotebook, NotebookError, Notebook } from './notebook/notebook';
export { ntkRecursion, ntkLimits, ntkAnalysis, derivPair, derivSquare, NtkTable, NtkLimits, NtkOptions, NtkResult } from './quantities/ntk';
export { ExplicitNetwork, empiricalNtkStats, NtkSimSpec, EmpiricalNtk, EmpiricalNtkStats } from './simulate/ntk';
export { parseGrid, phasePoint, swSbDiagram, alphaSwDiagram, criticalSw2, contours, Grid, PhasePoint, SwSbDiagram, AlphaSwDiagram, ContourLine } from './quantities/phase';
export {
  residualSpec, residualRecursion, iterate64 as residualIterate64, ResidualSpec, ResidualTable, Samples64 as ResidualSamples64, Arch as ResidualArch,
} from './quantities/residualMF';
export { analyseExponents, asymptoticCosine, optimalVariance, ExponentAnalysis, Law as ExponentLaw, OptimalVariance } from './quantities/exponents';
export * as rectifiedPower from './quantities/rectifiedPower';
export {
  NetDescription, Layer, LayerKind, Dense, Act, Residual, Serial, Repeat, BatchNorm, Conv, Readout, Inputs, Schedule, Padding,
  dense, act, residual, serial, repeat, batchnorm as batchnormLayer, conv, readout, net, inputCount,
  parseNetwork, readNetworkFile, networkToJson, layerToJson, describeStandard, standardNetwork, netError, Where,
} from './model/net';
export type { ConvWeights } from './model/net';
export {
  netMeanField, NetMeanField, NetRow, NetMeanFieldOptions, checkMeanFieldCovers, twoInputTable, correlation as netCorrelation,
  diagonalClasses, passesThroughDense, countResidualBlocks,
} from './quantities/netMeanField';
export {
  netKernel, netResponse, netOptimalAlpha, netMeanFieldResponse, netSensitivityAndSlope, NetKernelResult, NetResponseResult, NetOptimalAlphaResult,
} from './netApi';
export { phiMean } from './quantities/moments';
export { netNtk, netNtk64, netNtkAnalysis, checkNtkCovers, NetNtk, NetNtkResult } from './quantities/netNtk';
export { NetTrace } from './quantities/netMeanField';
export { compileNet, NetForward, NetProgram, NetOp, NetRowObserver } from './simulate/netForward';
export { validateNet, netReportText, NetValidateOptions, NetValidationReport, NetQuantity, NetQuantityRow } from './simulate/netValidate';
export { netOneLoop64, checkNetOneLoopCovers, NetOneLoop, NetOneLoopRow, NetOneLoopField, NetOneLoopOptions, MAX_NET_DENSE } from './quantities/loop/netOneLoop';
export {
  netLoopTable, netSensitivity1, netResponseWidth, netOptimalAlphaWidth, NetLoopTableResult, NetSensitivity1, NetResponseWidthResult, NetOptimalAlphaWidthResult,
} from './netLoopApi';
export { ExplicitNet, empiricalNetNtkStats, NetNtkStats } from './simulate/netNtk';
