/**
 * One-loop (1/N) corrections: the Gaussian fluctuations and the cubic vertices of the action.
 *
 * A literate derivation (see README.md): the equations are built by `fieldprop derive loop`
 * (src/derivations/oneLoop.ts): the per-layer vertices by differentiating the moments along the
 * auxiliary fields, the layer recursions as indexed expressions that both print and evaluate.
 */
import { literate } from '../src/derivations/literate';

export default literate({
  command: 'loop',
  title: 'One-loop corrections: curvature and memory terms',
  steps: [
    {
      prose:
        'Beyond the saddle point the action needs its second cumulant: ' +
        '$\\Phi = \\sum_\\ell \\tilde{\\mathcal{C}}^{(\\ell)} (m^{(\\ell)}(\\mathcal{C}) - \\mathcal{C}^{(\\ell)}) + \\frac{1}{2} \\sum_{\\ell, j} \\tilde{\\mathcal{C}}^{(\\ell)} \\tilde{\\mathcal{C}}^{(j)} V^{(\\ell,j)}(\\mathcal{C}) + O(\\tilde{\\mathcal{C}}^3)$ ' +
        '(one input, residual network, amplitude scaling; the third cumulant does not enter the one-loop mean, because it contracts with the vanishing propagator of the conjugate fields). ' +
        'The first cumulant is the mean-field map, and its first two derivatives along an auxiliary field $\\mathcal{C}^{(k)}$ with $k < \\ell$, taken through ' +
        '$\\mathcal{K}^{(\\ell-1)}(\\mathcal{C})$, are the same for every such $k$: they define the response coefficient $\\mu$ and the curvature $\\kappa$.',
      equations: ['map', 'mu', 'kappa'],
    },
    {
      prose:
        'The second cumulant is the noise of the branch kernel: the variance of $\\phi^2$ within a layer, and across layers $j < \\ell$ the covariance of ' +
        '$\\phi^2(x)$ and $\\phi^2(x + z)$ with $x \\sim \\mathcal{N}(0, \\mathcal{K})$ and the independent increment $z \\sim \\mathcal{N}(0, D)$ of the single-neuron random walk. ' +
        'Its derivative in $D$ is the memory vertex of the residual network, and $b$ couples the kernel to the sampling of the pre-activation:',
      equations: ['v0', 'v', 'vD', 'b'],
    },
    {
      prose:
        'At the saddle point these coefficients are evaluated on the mean-field kernels, layer by layer:',
      equations: ['mf-C', 'mf-K'],
    },
    {
      prose:
        'The Hessian of the action gives the Gaussian fluctuations. Its mixed block is $-(1 - M)$ with $M^{(\\ell,k)} = \\mu(\\mathcal{K}^{(\\ell-1)})$ for $k < \\ell$, ' +
        'so the response $R = (1 - M)^{-1}$ is the causal Dyson equation below; the block of the conjugate fields is the noise $V$, and the covariance of the kernels is $R V R^T$, ' +
        'from which follows the variance of the residual kernel:',
      equations: ['response', 'noise-diag', 'noise', 'covariance', 'kernel-variance'],
    },
    {
      prose:
        'The one-loop mean comes from the cubic vertices contracted with the propagator. Two vertices contribute: the curvature of the map times the variance of the kernel (the tadpole), ' +
        'and the memory term, the derivative of the noise across layers, which exists only with a skip connection. The source $s$ propagates through the response:',
      equations: ['tadpole', 'c1', 'c1-curvature', 'k1'],
    },
    {
      prose:
        'The variance of the sampled kernel at width $N$ adds the fluctuation of the kernel, the sampling of the pre-activations given the kernel and their correlation:',
      equations: ['varK'],
    },
  ],
  checks:
    'The derivatives along the auxiliary field ($\\mu$, $\\kappa$, the memory vertex) against finite differences; the printed forms against the derived ones; ' +
    '$b$ against direct quadrature; for the Gaussian expectations the heat-equation rule against finite differences of quadratures; ' +
    'the recursion against the one-loop perturbation theory of the action itself at depth 3 (Hessian and third derivatives of $\\Phi$ taken symbolically, no structural assumption); ' +
    'and the recursion, evaluated as printed, against the numerical one-loop engine (src/quantities/loop.ts) at two networks.',
});
