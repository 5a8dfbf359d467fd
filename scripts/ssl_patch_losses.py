"""The patch losses of method.md section 5 (L_mim and L_pos) as IR, for scripts/gen_ssl.py.

Two formulations of the same function:
  - gathered (what the committed modules compute): the heads g and q run only on the patch
    rows the losses read. `nonzero` lists the content-masked (position-masked) patches of
    the batch, padded with -1 to a bound that method.md section 1 guarantees; `take`
    gathers those rows of the student's final-LN patch tokens and of the teacher's targets.
    Padding rows read row 0 and weigh 0, so they add exactly 0 to losses and gradients.
  - dense (`gen_ssl.py --dense-patch-losses`, kept as the reference the gathered step is
    tested against, Tests/lit/ssl/gathered_step.test): g and q on every patch, the losses
    masked afterwards, as iBOT's code does.

Both read, from @loss/@loss_part: %sg (student global tokens [Vg*B, 1+n^2, D]), %cm and %pm
(masks [Vg*B, n^2]), %teacher_patch [Vg*B, n^2, K], %pos_target [Vg*B, n^2, D], and for a
slice of the batch %images and %position_count; they define %loss_mim and %loss_pos.
"""


def head_args(prefix):
    return ", ".join(f"@{prefix}head.mlp.{k}.{s}" for k in (0, 2, 4) for s in ("weight", "bias")) + \
        f", @{prefix}head.last_layer.weight"


def pos_head_args():
    return ", ".join(f"@pos_head.fc{k}.{s}" for k in (1, 2) for s in ("weight", "bias"))


def emit(w, c, part, dense=False):
    """L_mim and L_pos of config `c` (a slice's shares with `part`)."""
    (emit_dense if dense else emit_gathered)(w, c, part)


def emit_gathered(w, c, part):
    D, K, n, Vg = c.D, c.K, c.n, c.Vg
    Ng, nn = f"{Vg}*B", n * n
    rows = f"{Vg * nn}*B"
    w(f"  // L_mim: cross-entropy at the content-masked patches of each global view, with g run on")
    w(f"  // those patch rows only: at most {mim_bound(c, part)} of the {rows} rows (padding rows weigh 0).")
    w(f"  %sp = slice %sg {{axis = 1, start = 1, end = {nn + 1}}}")
    w(f"  %sp_rows = reshape %sp {{shape = [{rows}, {D}]}}")
    gather_rows(w, "c", "%cm", rows, mim_bound(c, part))
    w(f"  %s_masked = take %sp_rows, %c_at {{axis = 0}}")
    w(f"  %s_masked3 = reshape %s_masked {{shape = [1, {mim_bound(c, part)}, {D}]}}")
    w(f"  %s_patch = call @head(%s_masked3, {head_args('')})")
    w(f"  %s_patch_t = mul %s_patch, 10.0")
    w(f"  %log_qp = log_softmax %s_patch_t {{axis = -1}}")
    w(f"  %tp_rows = reshape %teacher_patch {{shape = [{rows}, {K}]}}")
    w(f"  %t_masked = take %tp_rows, %c_at {{axis = 0}}")
    w(f"  %t_masked3 = reshape %t_masked {{shape = [1, {mim_bound(c, part)}, {K}]}}")
    w(f"  %tlq = mul %t_masked3, %log_qp")
    w(f"  %neg_ce = reduce_sum %tlq {{axes = [2]}}")
    w(f"  // Each row weighted by 1 / max(count, 1) of its view, padding rows by 0.")
    w(f"  %cmf = convert %cm {{dtype = f32}}")
    w(f"  %count = reduce_sum %cmf {{axes = [1]}}")
    w(f"  %count1 = max %count, 1.0")
    w(f"  %view_w = div 1.0, %count1")
    w(f"  %patch_w = broadcast %view_w {{shape = [{Ng}, {nn}], dims = [0]}}")
    w(f"  %patch_w_rows = reshape %patch_w {{shape = [{rows}]}}")
    w(f"  %c_w = take %patch_w_rows, %c_at {{axis = 0}}")
    w(f"  %c_row_w = mul %c_w, %c_keep")
    w(f"  %c_row_w2 = reshape %c_row_w {{shape = [1, {mim_bound(c, part)}]}}")
    w(f"  %neg_ce_w = mul %neg_ce, %c_row_w2")
    w(f"  %neg_mim_sum = reduce_sum %neg_ce_w {{axes = [0, 1]}}")
    if part:
        w(f"  %views = mul %images, {float(Vg)}")
    else:
        w(f"  %one = constant {{value = 1}} : f32[]")
        w(f"  %view_ones = broadcast %one {{shape = [{Ng}], dims = []}}")
        w(f"  %views = reduce_sum %view_ones {{axes = [0]}}")
    w(f"  %neg_mim = div %neg_mim_sum, %views")
    w(f"  %loss_mim = neg %neg_mim")
    w()
    if not c.position_masking:
        no_position_loss(w)
    else:
        pb = pos_bound(c)
        w(f"  // L_pos: predicted vs teacher field directions at the position-masked patches, with q")
        w(f"  // run on those rows only: exactly {round(0.25 * nn)} per global view, {pb} in all.")
        gather_rows(w, "p", "%pm", rows, pb)
        w(f"  %s_pos = take %sp_rows, %p_at {{axis = 0}}")
        w(f"  %s_pos3 = reshape %s_pos {{shape = [1, {pb}, {D}]}}")
        w(f"  %q = call @pos_head(%s_pos3, {pos_head_args()})")
        w(f"  %qn = l2_normalize %q {{axis = -1, eps = 1e-12}}")
        w(f"  %pt_rows = reshape %pos_target {{shape = [{rows}, {D}]}}")
        w(f"  %pt = take %pt_rows, %p_at {{axis = 0}}")
        w(f"  %pt3 = reshape %pt {{shape = [1, {pb}, {D}]}}")
        w(f"  %target_sg = stop_gradient %pt3")
        distances(w)
        w(f"  %p_keep2 = reshape %p_keep {{shape = [1, {pb}]}}")
        w(f"  %dist_masked = mul %dist, %p_keep2")
        w(f"  %dist_sum = reduce_sum %dist_masked {{axes = [0, 1]}}")
        position_mean(w, part, convert=True)

def mim_bound(c, part):
    """How many content-masked patches a batch (or, with `part`, a slice of one) can hold, as
    a dim of B: method.md section 1 masks exactly half of the B*Vg global views, each with a
    block mask of at most floor(n^2 / 2) patches (ratio <= 0.5), so at most
    (B*Vg/2) floor(n^2/2). A data-parallel slice may hold more than half of the masked views:
    there the bound is every view's, B*Vg floor(n^2/2)."""
    nn = c.n * c.n
    assert c.Vg % 2 == 0, "half of the global views needs Vg even"
    views = c.Vg if part else c.Vg // 2
    return f"{views * (nn // 2)}*B"


def pos_bound(c):
    """The position-masked patches of a batch: exactly round(n^2 / 4) per global view."""
    return f"{c.Vg * round(0.25 * c.n * c.n)}*B"


def gather_rows(w, tag, mask, rows, bound):
    """The flat indices (row b*Vg*n^2 + v*n^2 + patch) of the nonzero elements of `mask`
    [Vg*B, n^2], padded to `bound` with -1 (nonzero's fill): %{tag}_at clamps the padding to
    row 0 so that take reads a real row, and %{tag}_keep (f32, 0 for padding) is the weight
    that makes those rows contribute exactly 0 to the losses and gradients. More nonzero
    elements than `bound` stops the step with nonzero's error (a batch outside section 1)."""
    w(f"  %{tag}m_rows = reshape {mask} {{shape = [{rows}]}}")
    w(f"  %{tag}_idx = nonzero %{tag}m_rows {{size = {bound}, fill = -1}}")
    w(f"  %{tag}_at = max %{tag}_idx, 0")
    w(f"  %{tag}_real = ge %{tag}_idx, 0")
    w(f"  %{tag}_keep = convert %{tag}_real {{dtype = f32}}")



def emit_dense(w, c, part):
    D, n, Vg = c.D, c.n, c.Vg
    nn = n * n
    w(f"  // L_mim: cross-entropy at the content-masked patches of each global view.")
    w(f"  %sp = slice %sg {{axis = 1, start = 1, end = {nn + 1}}}")
    w(f"  %s_patch = call @head(%sp, {head_args('')})")
    w(f"  %s_patch_t = mul %s_patch, 10.0")
    w(f"  %log_qp = log_softmax %s_patch_t {{axis = -1}}")
    w(f"  %tlq = mul %teacher_patch, %log_qp")
    w(f"  %neg_ce = reduce_sum %tlq {{axes = [2]}}")
    w(f"  %cmf = convert %cm {{dtype = f32}}")
    w(f"  %neg_ce_masked = mul %neg_ce, %cmf")
    w(f"  %neg_ce_view = reduce_sum %neg_ce_masked {{axes = [1]}}")
    w(f"  %count = reduce_sum %cmf {{axes = [1]}}")
    w(f"  %count1 = max %count, 1.0")
    w(f"  %neg_mim_view = div %neg_ce_view, %count1")
    if part:
        w(f"  %neg_mim_sum = reduce_sum %neg_mim_view {{axes = [0]}}")
        w(f"  %views = mul %images, {float(Vg)}")
        w(f"  %neg_mim = div %neg_mim_sum, %views")
    else:
        w(f"  %neg_mim = reduce_mean %neg_mim_view {{axes = [0]}}")
    w(f"  %loss_mim = neg %neg_mim")
    w()
    if not c.position_masking:
        no_position_loss(w)
        return
    w(f"  // L_pos: predicted vs teacher field directions at the position-masked patches.")
    w(f"  %q = call @pos_head(%sp, {pos_head_args()})")
    w(f"  %qn = l2_normalize %q {{axis = -1, eps = 1e-12}}")
    w(f"  %target_sg = stop_gradient %pos_target")
    distances(w)
    w(f"  %pmf = convert %pm {{dtype = f32}}")
    w(f"  %dist_masked = mul %dist, %pmf")
    w(f"  %dist_sum = reduce_sum %dist_masked {{axes = [0, 1]}}")
    position_mean(w, part, convert=False)


def no_position_loss(w):
    w(f"  // Variant `nopos`: no position prediction; L_pos is kept as a metric, always 0.")
    w(f"  %loss_pos = constant {{value = 0}} : f32[]")
    w()


def distances(w):
    """%dist: ||l2n(%qn's source) - l2n(%target_sg)||^2 per row (%qn is already normalised)."""
    w(f"  %target = l2_normalize %target_sg {{axis = -1, eps = 1e-12}}")
    w(f"  %diff = sub %qn, %target")
    w(f"  %diff2 = mul %diff, %diff")
    w(f"  %dist = reduce_sum %diff2 {{axes = [2]}}")


def position_mean(w, part, convert):
    """%loss_pos = %dist_sum over the position-masked count (the whole batch's for a slice);
    `convert`: %pmf (the masks as f32) is not defined yet."""
    if part:
        w(f"  %pcount1 = max %position_count, 1.0")
    else:
        if convert:
            w(f"  %pmf = convert %pm {{dtype = f32}}")
        w(f"  %pcount = reduce_sum %pmf {{axes = [0, 1]}}")
        w(f"  %pcount1 = max %pcount, 1.0")
    w(f"  %loss_pos = div %dist_sum, %pcount1")
    w()
