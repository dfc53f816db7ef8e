/**
 * The response function and the sensitivity at tree level: the Jacobian of the mean-field map.
 *
 * A literate derivation (see README.md): the equations are built by `fieldprop derive response`
 * (src/derivations/response.ts), which differentiates the one-layer maps with the symbolic core.
 */
import { literate } from '../src/derivations/literate';

export default literate({
  command: 'response',
  title: 'Response function and sensitivity (tree level)',
  steps: [
    {
      prose:
        'Two inputs of equal variance are described by the state $(q, k) = (\\mathcal{K}_{11}, \\mathcal{K}_{12})$. ' +
        'One residual layer maps it by the mean-field maps of the previous section, with both diagonal entries equal to $\\mathcal{K}$:',
      equations: ['q-map', 'k-map'],
    },
    {
      prose:
        'The response of one layer is the Jacobian of this map. The engine differentiates the closed forms as they are, and the Gaussian expectations by their derivative rules: ' +
        'the heat equation $\\partial_{\\mathcal{K}} \\langle f \\rangle_{\\mathcal{K}} = \\frac{1}{2} \\langle f\'\' \\rangle_{\\mathcal{K}}$ for one input and Price\'s theorem ' +
        '$\\partial \\langle \\phi(u) \\phi(v) \\rangle / \\partial \\mathcal{K}_{12} = \\langle \\phi\'(u) \\phi\'(v) \\rangle$ for a pair. ' +
        'The Jacobian is lower triangular: $q\'$ does not depend on $k$, while $k\'$ moves with $q$ because both variances of the pair move together.',
      equations: ['chi-q', 'chi-k', 'chi-kq'],
    },
    {
      prose:
        'Over the depth the Jacobians multiply in order. The diagonal entries give the length response $\\chi$ and the correlation response $\\chi_{12}$ at fixed variances, ' +
        'the lower-left entry $R_{kq}$ obeys a recursion of its own, with $R_{qq}^{(\\ell)} = \\prod_{m \\le \\ell} \\chi_q$:',
      equations: ['chi', 'chi12', 'dkdq'],
    },
    {
      prose:
        'The sensitivity is the response of the output correlation $c^{(L)} = k^{(L)} / q^{(L)}$ to the input correlation at fixed $q_0$; ' +
        'since $q^{(L)}$ does not depend on $c_0$ it is the product of the $\\chi_k$ over the layers, times $q_0 / q^{(L)}$:',
      equations: ['sensitivity'],
    },
  ],
  checks:
    'Each derivative (Price\'s theorem, the derivative in $\\mathcal{K}_{11}$, $\\chi_q$) against finite differences, at 30 digits for the closed forms; ' +
    'Price\'s theorem by a second route, the closed-form derivative against quadrature of $\\langle \\phi\'(u) \\phi\'(v) \\rangle$; ' +
    '$\\chi$, $\\chi_{12}$, $S$ and $R_{kq}^{(L)}$, evaluated from the printed equations, against the numerical engine (src/quantities/response.ts); ' +
    'and $S$ and $\\chi$ against finite differences of the whole mean-field map over the depth.',
});
