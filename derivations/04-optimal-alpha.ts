/**
 * The optimal residual scaling at large depth, from the continuum limit of the one-layer map.
 *
 * A literate derivation (see README.md): the equations are built by `fieldprop derive optimal-alpha`
 * (src/derivations/optimalAlpha.ts), which takes derivatives in the branch factor at zero.
 */
import { literate } from '../src/derivations/literate';

export default literate({
  command: 'optimal-alpha',
  title: 'Optimal residual scaling (large depth)',
  steps: [
    {
      prose:
        'At large depth $L$ the best branch factor is small, and the layer index becomes a continuous time $\\tau = \\alpha^2 \\sigma_w^2 \\ell$. ' +
        'The one-layer maps of the response section change the kernel by $\\alpha^2$ times the map, so per unit $\\tau$ they become a flow, ' +
        'with $\\beta = \\sigma_b^2 / \\sigma_w^2$, $\\mathcal{K}(0) = q_0$ and $k(0) = q_0 c_0$:',
      equations: ['flow-K', 'flow-k'],
    },
    {
      prose:
        'The correlation response of one layer is $\\chi_k = 1 + \\alpha^2 \\sigma_w^2 \\langle \\phi\' \\phi\' \\rangle$; its logarithm per unit $\\tau$, ' +
        'the derivative in $\\alpha^2$ at $\\alpha = 0$, is the rate $g$, so that $\\ln S(\\tau) = \\ln (q_0 / \\mathcal{K}(\\tau)) + \\int_0^\\tau g\\, d\\tau$:',
      equations: ['g'],
    },
    {
      prose:
        'The sensitivity at the output, $\\tau_L = \\alpha^2 \\sigma_w^2 L$, is largest where its logarithm stops growing. ' +
        'The engine differentiates $\\ln S$ along the flow by the chain rule; the optimum $\\tau^*$ is where this rate crosses zero from above, ' +
        'and the optimal scaling follows, with relative corrections of order $1/L$:',
      equations: ['stationarity', 'alpha-star'],
    },
  ],
  checks:
    'The derivative of $\\ln \\chi_k$ in $\\alpha^2$ against finite differences; the stationarity function against finite differences of $\\ln S(\\tau)$ along the flow integrated from the compiled equations; ' +
    '$\\tau^*$, the zero of the derived stationarity function, against the asymptotic optimum of the numerical engine (src/quantities/optimal.ts); ' +
    'and $\\alpha^*$ against the exact discrete optimum at depth 400. Where $\\ln S$ has no interior maximum (relu, linear) the check is that the engine finds none either.',
});
