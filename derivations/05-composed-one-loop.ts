/**
 * One-loop (1/N) corrections of any composition of dense layers, activations and residual sums.
 *
 * A literate derivation (see README.md): the equations are built by `fieldprop derive net-loop`
 * (src/derivations/composedLoop.ts): the general one-loop equations as indexed expressions that
 * print and evaluate, the delta method and the moment-cumulant relation by the symbolic core, and
 * the coefficients of the special cases by differentiation; the numerical engine of these networks
 * is src/quantities/loop/netOneLoop.ts.
 */
import { literate } from '../src/derivations/literate';

export default literate({
  command: 'net-loop',
  title: 'One-loop corrections of composed networks',
  steps: [
    {
      prose:
        'A network description composes dense layers $y = W x + b$ (fresh $W_{ij} \\sim \\mathcal{N}(0, \\sigma_w^2 / N)$ and $b_i \\sim \\mathcal{N}(0, \\sigma_b^2)$ per layer, each layer with its own variances), ' +
        'elementwise activations $\\phi$ and residual sums $x + \\alpha_\\ell\\, \\mathrm{branch}(x)$ (a fixed $\\alpha$ or a schedule), grouped by serial and repeat. ' +
        'Number the dense layers $d = 1, \\dots, n$ in execution order and let $G^{(d)} = \\frac{1}{N} \\sum_i x_i x_i^T$ be the empirical kernel of the input of dense layer $d$ (entries 11, 12 and 22 with two inputs). ' +
        'Given its input, the rows $u_i = \\sum_j W_{ij} x_j + b_i$ of a dense layer are independent Gaussians whose covariance depends on the input only through $G^{(d)}$:',
      equations: ['row-cov'],
    },
    {
      prose:
        'So, given all the fields $G$, the output of dense layer $d$ is a fresh Gaussian base $u^{(d)}_i \\sim \\mathcal{N}(0, \\Sigma_u^{(d)})$ per neuron, independent of the earlier bases and of the neuron\'s own past. ' +
        'Activations act neuron by neuron and residual sums add neuron by neuron, so every value a neuron holds is a sum $x = \\sum_c F_c(u^{(c)})$ of independent terms, one function per base ' +
        '(base $0$ is the input $h^0 \\sim \\mathcal{N}(0, \\mathcal{K}^{(0)})$), and the $N$ neurons are independent and identically distributed given the fields: ' +
        'the network is $N$ copies of one neuron, coupled only through the $G$. ' +
        'An activation applied to a sum over several bases is outside this representation unless the sum is itself one Gaussian, as the stream of the residual form of the one-loop section is.',
    },
    {
      prose:
        'Write the constraints $N G^{(d)} = \\sum_i f_d(z_i)$, $f_d = x_d x_d^T$ a function of the path $z_i$ of neuron $i$, as Fourier integrals with conjugate fields $\\tilde{G}^{(d)}$. ' +
        'The neurons factorise, exactly: $Z = \\int dG\\, d\\tilde{G}\\, e^{N \\Phi(G, \\tilde{G})}$ with $\\Phi = -\\tilde{G} \\cdot G + \\ln \\mathrm{E}_G[e^{\\tilde{G} \\cdot f}]$, the expectation over one neuron whose bases have the covariances set by $G$. ' +
        'Its cumulant expansion is $\\Phi = \\sum_d \\tilde{G}^{(d)} (m^{(d)}(G) - G^{(d)}) + \\frac{1}{2} \\sum_{b,d} \\tilde{G}^{(b)} \\tilde{G}^{(d)} V^{(b,d)}(G) + O(\\tilde{G}^3)$ ' +
        'with $m^{(d)} = \\mathrm{E}_G[f_d]$ and $V^{(b,d)} = \\operatorname{Cov}_G(f_b, f_d)$. ' +
        'Causality: $f_d$ is a function of the bases made before dense layer $d$, so $m^{(d)}$ depends on $G^{(c)}$ only for $c < d$, and $V^{(b,d)}$ with $d \\le b$ only for $c < b$. ' +
        'The saddle point, $\\partial \\Phi / \\partial \\tilde{G} = 0$ and $\\partial \\Phi / \\partial G = 0$, is $\\tilde{G} = 0$ and the mean field:',
      equations: ['saddle'],
    },
    {
      prose:
        'At the saddle point the Hessian has three blocks: $\\Phi_{GG} = 0$ (the action vanishes identically at $\\tilde{G} = 0$), $\\Phi_{G \\tilde{G}} = -(1 - M)$ with the strictly lower triangular $M^{(b,c)} = \\partial m^{(b)} / \\partial G^{(c)}$, and $\\Phi_{\\tilde{G} \\tilde{G}} = V$. ' +
        'Inverting $-\\Phi\'\'$ block by block gives the propagators $N \\langle \\delta G\\, \\delta G^T \\rangle = R V R^T$, $N \\langle \\delta G\\, \\delta \\tilde{G}^T \\rangle = R$ and $N \\langle \\delta \\tilde{G}\\, \\delta \\tilde{G}^T \\rangle = 0$, ' +
        'with the response $R = (1 - M)^{-1}$, lower triangular: a causal Dyson equation. ' +
        'Indices $b, c, d$ run over dense layers, or over pairs of a dense layer and a kernel entry with two inputs ($M$, $R$ and $V$ are then matrices over both):',
      equations: ['response', 'covariance'],
    },
    {
      prose:
        'With $x = (G, \\tilde{G})$, $C = (-\\Phi\'\')^{-1}$ and the cubic vertices $\\Phi_{abc}$, the mean moves at order $1/N$ by $\\mathrm{E}[x_a] - x^*_a = \\frac{1}{2N} C_{ab} \\Phi_{bcd} C_{cd}$. ' +
        'The cubic vertices are $\\Phi_{\\tilde{G} G G} = \\partial^2 m$, $\\Phi_{\\tilde{G} \\tilde{G} G} = \\partial V$, $\\Phi_{GGG} = 0$, and the third cumulant $\\Phi_{\\tilde{G} \\tilde{G} \\tilde{G}}$, which meets only the vanishing $\\tilde{G} \\tilde{G}$ propagator. ' +
        'For a field $G^{(a)}$ the external leg is either $R V R^T$ or $R$. Through $R$ it reaches a vertex at its $\\tilde{G}^{(b)}$ leg, and the two other legs close either on $R V R^T$ (the curvature term) ' +
        'or, for $\\Phi_{\\tilde{G} \\tilde{G} G}$, on one $R$ (the memory term; its two orderings cancel the factor one half). The source $s$ propagates through the response:',
      equations: ['curvature', 'memory', 'tadpole', 'c1', 'c1-curvature'],
    },
    {
      prose:
        'Through $R V R^T$ the external leg reaches a $G$ leg of $\\Phi_{G G \\tilde{G}}$, whose other legs close on $R$. That contraction is $[R V R^T t]$ with the sum below, and it vanishes by causality: ' +
        '$m^{(d)}$ depends only on $G^{(c)}$ with $c < d$, while $R^{(c,d)} \\neq 0$ needs $c \\ge d$. ' +
        'The memory sum runs over the complementary triangle $d \\le c < b$: the bases made at or after field $d$ that a neuron still carries to field $b$.',
      equations: ['dropped'],
    },
    {
      prose:
        'An observable $O = \\frac{1}{N} \\sum_i g(z_i)$, such as the kernel $\\hat{\\mathcal{K}}$ after any layer, is a field that nothing depends on: a pair $(O, \\tilde{O})$ last in the causal order. ' +
        'Its row of $R$ gives its shift and its variance, with $M^{(O,c)} = \\partial \\mathrm{E}_G[g] / \\partial G^{(c)}$, $V^{(d,O)} = \\operatorname{Cov}_G(f_d, g)$ and its own source $s^{(O)}$ as above with $b = O$ ' +
        '(with several entries the middle term of the variance appears in both orders):',
      equations: ['obs-k1', 'obs-cov'],
    },
    {
      prose:
        'With two inputs the empirical correlation $\\hat{c} = \\hat{\\mathcal{K}}_{12} / \\sqrt{\\hat{\\mathcal{K}}_{11} \\hat{\\mathcal{K}}_{22}}$ is a smooth function of three observables with $\\mathrm{E}[\\hat{\\mathcal{K}}_e] = \\mathcal{K}_e + k_{1,e} / N$ ' +
        'and $N \\operatorname{Cov}(\\hat{\\mathcal{K}}_e, \\hat{\\mathcal{K}}_f) \\to \\Gamma_{e,f}$. Expanding it to second order around the mean field (the delta method; the next terms are of order $N^{-2}$) gives ' +
        '$\\hat{c}_1 = \\lim N (\\mathrm{E}[\\hat{c}] - c) = \\sum_e \\partial_e c\\, k_{1,e} + \\frac{1}{2} \\sum_{e,f} \\partial_e \\partial_f c\\, \\Gamma_{e,f}$, with the derivatives',
      equations: ['corr', 'corr-d11', 'corr-d12', 'corr-d22', 'corr-d11-11', 'corr-d11-12', 'corr-d11-22', 'corr-d12-12', 'corr-d12-22', 'corr-d22-22'],
    },
    {
      prose:
        'At equal variances ($\\mathcal{K}_{11} = \\mathcal{K}_{22} = q$, $\\mathcal{K}_{12} = c q$, the 22 entries equal to the 11 ones in distribution) this reduces to the form the one-loop engine uses. ' +
        'At the input, where $k_1 = 0$ and the products of Gaussian pairs have $\\Gamma_{ab,cd} = \\mathcal{K}_{ac} \\mathcal{K}_{bd} + \\mathcal{K}_{ad} \\mathcal{K}_{bc}$, it is the bias of the sample correlation of $N$ Gaussian pairs:',
      equations: ['chat1-sym', 'chat1-input'],
    },
    {
      prose:
        'All of this needs $m$, $V$ and their derivatives for one neuron, whose values are sums $x = \\sum_c F_c(u^{(c)})$ of independent terms. ' +
        'Joint cumulants of a sum of independent vectors add, $\\kappa(x + y) = \\kappa(x) + \\kappa(y)$, because the logarithm of the moment generating function of such a sum is the sum of theirs; ' +
        'so the engine keeps, per base, the joint cumulants of its functions up to fourth order and adds them. ' +
        'A kernel entry is a product $z_i z_j$ of two components (two inputs, or one neuron at two fields); its mean is $\\kappa_{ij} + \\kappa_i \\kappa_j$ and the noise $V$ is a covariance of two products. ' +
        'Writing each moment as the sum over the set partitions of its indices of products of joint cumulants:',
      equations: ['cov-products'],
    },
    {
      prose:
        'Derivatives in $\\Sigma_u^{(c)}$ move only the terms of base $c$ and give $M$, the curvature and the memory vertex by the product rule. ' +
        'Which bases reach the memory vertex depends on the architecture. Where a neuron keeps its old value (a residual stream), its value at field $b$ is $x_b = x_d + y$, ' +
        'with $x = x_d$ its value at an earlier field $d$ and the increment $y$, made of the bases in between, independent of it. Expanding the moments over the two independent parts:',
      equations: ['stream-noise', 'stream-cov3'],
    },
    {
      prose:
        'The bases carried from $d$ to $b$ enter $V^{(b,d)}$ only through the mean of the increment: the memory vertex is $2 (\\langle x^3 \\rangle - \\langle x \\rangle \\langle x^2 \\rangle)\\, \\partial \\langle y \\rangle / \\partial G^{(c)}$ ' +
        '(with two inputs, for the entry $pq$ of field $b$ and the entry $rt$ of field $d$, $V$ depends on the increment only through $\\langle y_p \\rangle \\operatorname{Cov}(x_q, x_r x_t) + \\langle y_q \\rangle \\operatorname{Cov}(x_p, x_r x_t)$). Three cases follow. ' +
        'Feed-forward: a dense layer replaces the value by a fresh base, nothing is carried past it, the noise is white ($V^{(b,d)} = 0$ for $b \\neq d$) and the memory term is zero; what remains is the curvature term, the feed-forward recursion of the one-loop section. ' +
        'Residual blocks that end in a dense layer, $x + \\alpha (W_2 \\phi(W_1 x + b_1) + b_2)$: the increment is a zero-mean Gaussian, $\\langle y \\rangle = 0$, and the memory term vanishes too. ' +
        'The residual form $h + \\alpha (W \\phi(h) + b)$ of the one-loop section: the stream is a zero-mean Gaussian random walk, one base per neuron with covariance $\\mathcal{K}^{(\\ell - 1)}$, ' +
        'and the fields are the $\\mathcal{C}^{(\\ell)} = \\sigma_w^2 G^{(\\ell)} + \\sigma_b^2$; since $\\phi$ acts on the whole stream, $f = \\phi(h)^2$ is not a square of the stream, ' +
        'and $V^{(\\ell,\\ell\')}$ depends on the later fields through the variance $D = \\mathcal{K}^{(\\ell - 1)} - \\mathcal{K}^{(\\ell\' - 1)}$ of the increment: ' +
        'in the fields $\\mathcal{C}$ the vertices are that section\'s $\\mu$, $\\partial^2 m = 2 \\alpha^4 \\kappa$, $v_0$, $v$ and the memory vertex $\\alpha^2 \\partial_D v$, and the equations above become its compact one-input recursion. ' +
        'Post-activation blocks $x + \\alpha \\phi(W x + b)$: the increment has the mean $\\alpha \\sum_c \\langle \\phi \\rangle_{\\Sigma_u^{(c)}}$, so the memory term is there exactly when $\\phi$ has a nonzero mean ' +
        '(relu, gelu; not erf, tanh or a linear $\\phi$). The stream carries the mean $\\mu^{(b)} = \\alpha \\sum_{c < b} \\langle \\phi \\rangle_{\\Sigma_u^{(c)}}$, and its coefficients are',
      equations: ['pa-field', 'pa-mean', 'pa-square', 'pa-M', 'pa-H-diag', 'pa-H-off', 'pa-memory'],
    },
  ],
  checks:
    'The moment-cumulant formula: the engine\'s covOfProducts against the printed formula on random cumulant tables, and the printed formula, with the cumulants of a sum added from those of its independent parts ' +
    '(derivatives of the log moment generating function), against direct enumeration of a sum of two discrete vectors; dCovOfProducts against an exact difference rule. ' +
    'The delta method: its equal-variance reduction and its value at the input, as identities; applied to the k1 and covariances of netOneLoop64 at every row of a two-input post-activation net, against that engine\'s chat1. ' +
    'The post-activation residual net at depth 3, three ways: the printed equations evaluated with the printed coefficients; the generic one-loop contraction of its action, built symbolically by expanding the stream\'s moments ' +
    '(the full propagator and every cubic vertex, no causal structure assumed), which also shows the dropped contraction zero; and netOneLoop64 (kernel, k1, its curvature part and variance). ' +
    'With two inputs, netOneLoop64 against the same generic expansion with the moments of the stream by 2D quadrature over its bases and the derivatives by differences. ' +
    'The feed-forward net against the one-loop engine of the residual form with no skip connection (for erf also with two inputs), its memory part zero; the two-layer residual blocks\' memory part zero; ' +
    'the residual form itself: the general equations evaluated with the vertices of the one-loop section against that engine; ' +
    'for a linear activation the post-activation net, which is then the residual form, against that engine.',
});
