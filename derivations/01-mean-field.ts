/**
 * Mean-field kernels: the saddle point of the weight-averaged action.
 *
 * A literate derivation (see README.md): the steps below are read top to bottom; each names the
 * equations that `fieldprop derive kernel` builds with the symbolic core (src/derivations/meanField.ts:
 * the action of src/derivations/oneLoop.ts at depth 3, differentiated in the conjugate fields), and
 * `npm run derive` writes them, with the measured errors of the numerical checks, into
 * docs/derivations/fieldprop-derivations.tex and docs/derivations/theory.md.
 */
import { literate } from '../src/derivations/literate';

export default literate({
  command: 'kernel',
  title: 'Mean-field kernels (saddle point)',
  steps: [
    {
      prose:
        'Averaging over the Gaussian weights turns the network into a theory of the layer kernels: with auxiliary fields ' +
        '$\\mathcal{C}^{(\\ell)}$ (the branch kernel of layer $\\ell$) and their conjugates $\\tilde{\\mathcal{C}}^{(\\ell)}$, ' +
        '$Z = \\int d\\mathcal{C}\\, d\\tilde{\\mathcal{C}}\\, e^{N \\Phi(\\mathcal{C}, \\tilde{\\mathcal{C}})}$ with the single-neuron action ' +
        '$\\Phi = \\sum_\\ell \\tilde{\\mathcal{C}}^{(\\ell)} (m^{(\\ell)}(\\mathcal{C}) - \\mathcal{C}^{(\\ell)}) + O(\\tilde{\\mathcal{C}}^2)$, ' +
        '$m^{(\\ell)}(\\mathcal{C}) = \\sigma_b^2 + \\sigma_w^2 \\langle \\phi^2 \\rangle_{\\mathcal{K}^{(\\ell-1)}(\\mathcal{C})}$ and the residual kernel ' +
        '$\\mathcal{K}^{(\\ell)}(\\mathcal{C}) = q_0 + \\alpha^2 \\sum_{k \\le \\ell} \\mathcal{C}^{(k)}$. ' +
        'At large width $N$ the integral is dominated by its saddle point. The engine builds $\\Phi$ at depth 3, differentiates it in each conjugate field and sets ' +
        '$\\tilde{\\mathcal{C}} = 0$; the equations $\\partial \\Phi / \\partial \\tilde{\\mathcal{C}}^{(\\ell)} = 0$ read, for the first three layers,',
      equations: ['saddle-1', 'saddle-2', 'saddle-3'],
    },
    {
      prose:
        'Each layer applies the same map to the kernel of the layer below. For two inputs the kernel is a $2 \\times 2$ matrix; ' +
        'the diagonal entry $a = 1, 2$ goes through the one-input map $m$ and the off-diagonal entry through the pair map $p$, ' +
        'a Gaussian expectation over $(u, v) \\sim \\mathcal{N}(0, \\mathcal{K}^{(\\ell-1)})$:',
      equations: ['map', 'pair'],
    },
    {
      prose:
        'The residual network adds the branch to the skip connection with the factor $\\alpha^2$ (amplitude scaling), which gives the kernel recursion, ' +
        'started at $\\mathcal{K}_{11}^{(0)} = q_0$ and $\\mathcal{K}_{12}^{(0)} = q_0 c_0$ for two inputs of equal variance ' +
        '(the feed-forward network has $\\mathcal{K}^{(\\ell)} = \\mathcal{C}^{(\\ell)}$ instead):',
      equations: ['K11', 'K12'],
    },
  ],
  checks:
    'The saddle-point equations taken from the action equal the map $m$ applied to $\\mathcal{K}^{(\\ell-1)}(\\mathcal{C})$ (an identity checked at 30 digits); ' +
    'the printed, simplified forms equal the derived ones; the closed forms of $\\langle \\phi^2 \\rangle$ and $\\langle \\phi \\phi \\rangle$ agree with direct Gaussian quadrature of $\\phi$; ' +
    'and the printed recursion, iterated, reproduces the kernels of the numerical engine (src/quantities/kernel.ts) for two networks.',
});
