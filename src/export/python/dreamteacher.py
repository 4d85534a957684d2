#!/usr/bin/env python3
"""{{TITLE}}, exported from SSL Playground: the same method, settings and (when exported from a
run) weights as the browser run, as one PyTorch file.

    python train.py --data DIR                       # one device (CUDA if present, else CPU)
    torchrun --nproc_per_node=N train.py --data DIR  # DistributedDataParallel: NCCL on CUDA, gloo on CPU

--data is an ImageFolder tree (labels unused), or `shapes`: the browser run's own training
images (shapes.safetensors). Only torch and torchvision are needed (1.13 on). config.json holds
the experiment; weights.safetensors, when present, the browser's teacher and student weights.

What the steps compute (Li et al. 2023, "DreamTeacher: Pretraining Image Backbones with Deep
Generative Models", section 3; no official code is public, so these are the paper's equations
as the app's TypeScript states them). Two stages in one run, as in the app:
  stage 1, steps [0, teacherSteps): the generative teacher, a DeP denoising U-Net (Brempong et
          al. 2022), learns to predict the noise:
    x       2 * pixels - 1 (model units); eps ~ N(0, I); sigma fixed.
    corrupt 'vp': x~ = sqrt(g) x + sqrt(1 - g) eps, g = 1 / (1 + sigma^2);  'simple': x~ = x + sigma eps.
    loss    teacherLoss = mean (f(x~) - eps)^2.
  stage 2, steps [teacherSteps, totalSteps): the teacher is frozen; it encodes each image by
          noising it (fresh eps, the same sigma) and running one denoising pass; its decoder
          features t_l (the bottleneck and each decoder level's output), finest first, are the
          targets (section 3.1). A CNN student with an FPN regressor predicts them (section 3.2):
    LN(t)   per-position normalisation over channels, no affine (biased variance, eps 1e-5).
    L_MSE   sum_l mean (r_l - LN(t_l))^2                         (r_l: the regressor's level l)
    AT(a)   vec(sum_c a_c^2) / ||vec(sum_c a_c^2)||_2            (attention transfer, p = 2)
    L_AT    sum_l mean_images ||AT(r_l) - AT(t_l)||_2            (the paper's norm, not squared)
    loss    distillLoss = L_MSE + lambda_AT L_AT (lambda_AT = 10 in the paper); either term can be off.
  U-Net    levels of (conv3x3 - GroupNorm - SiLU) x 2, 2x2 average pooling down, nearest x2 up
           with the skip concatenated, a 1x1 conv to the noise.
  student  levels of (conv3x3 - GroupNorm - ReLU) x 2 (2x2 average pooling before levels > 0);
           FPN: 1x1 laterals, a pyramid pooling module (bins 1, 2) on the coarsest, top-down sums
           with nearest x2, then per level conv3x3 - GroupNorm - ReLU - 1x1 to the teacher's channels.
  optim    one AdamW per stage's network (weight decay on rank >= 2); each stage warms its lr up
           linearly, then a cosine to 1 % of its peak, over its own length.

Weights keep the browser's names and layouts (teacher.*, student.*; a kernel is [kh, kw, in, out]).
"""
# {{COMMON}}


# ----------------------------------------------------------------------------------------------
# The networks, as functions of a dict of tensors named as in the browser. (The teacher U-Net is
# DeP's; this one also returns the decoder's features, which the distillation regresses.)

GROUPS = 4  # GroupNorm groups of both networks (the app's config, not a setting)
PPM_BINS = (1, 2)


# {{UNET}}


def student(p, x):
    """The student: x [N, 3, S, S] -> the regressed maps, finest first (level l at S / 2^l)."""
    backbone = []
    i = 0
    while f'student.backbone.{i}.conv1.kernel' in p:
        backbone.append(double_conv(p, f'student.backbone.{i}.', x if i == 0 else F.avg_pool2d(backbone[-1], 2), GROUPS, F.relu))
        i += 1
    top = len(backbone) - 1
    pyramid = [None] * len(backbone)
    # Pyramid pooling on the coarsest lateral: per bin count b, average-pool to b x b, 1x1 + ReLU,
    # nearest upsampling back; [lateral, branches...] fused by a 1x1 conv.
    lateral = conv(p, f'student.fpn.levels.{top}.lateral.', backbone[top])
    size = lateral.shape[2]
    branches = [F.interpolate(F.relu(conv(p, f'student.fpn.ppm.bins.{k}.', F.avg_pool2d(lateral, size // bins))), scale_factor=size // bins, mode='nearest')
                for k, bins in enumerate(PPM_BINS)]
    pyramid[top] = conv(p, 'student.fpn.ppm.fuse.', torch.cat([lateral, *branches], 1))
    for level in range(top - 1, -1, -1):  # FPN's top-down sum
        pyramid[level] = conv(p, f'student.fpn.levels.{level}.lateral.', backbone[level]) + F.interpolate(pyramid[level + 1], scale_factor=2, mode='nearest')
    return [conv(p, f'student.fpn.levels.{level}.out.', conv_norm(p, f'student.fpn.levels.{level}.conv.', f'student.fpn.levels.{level}.norm.', y, GROUPS, F.relu))
            for level, y in enumerate(pyramid)]


# ----------------------------------------------------------------------------------------------
# The distillation losses (DreamTeacher section 3.2), NCHW.


def channel_normalize(t, eps=1e-5):
    """LN(t): per position over channels, biased variance, no affine."""
    mean = t.mean(1, keepdim=True)
    var = ((t - mean) ** 2).mean(1, keepdim=True)
    return (t - mean) * torch.rsqrt(var + eps)


def attention_map(x):
    """sum_c x_c^2 per position, flattened per image and L2-normalised (x / max(||x||, 1e-12)): [N, h*w]."""
    q = (x ** 2).sum(1).flatten(1)
    return q * torch.rsqrt((q ** 2).sum(1, keepdim=True).clamp_min(1e-24))


def distill_terms(regressed, targets):
    """Per level, finest first: (mse, at). The targets are constants (computed without a graph)."""
    terms = []
    for r, t in zip(regressed, targets):
        mse = ((r - channel_normalize(t)) ** 2).mean()
        # The norm's gradient is 0 at a zero row in torch (as the app's safe square root).
        at = torch.linalg.vector_norm(attention_map(r) - attention_map(t), dim=1).mean()
        terms.append((mse, at))
    return terms


class DreamTeacher(Weights):
    """Teacher U-Net and student, every tensor by its browser name in `p` (teacher.*, student.*)."""

    def __init__(self, config, device):
        v = config['values']
        if not v.get('mseLoss', True) and not v.get('attentionLoss', True):
            raise SystemExit('Switch on feature regression (mseLoss), attention transfer (attentionLoss) or both: with neither the student learns nothing.')
        self.v = v
        self.device = device
        self.p = {}
        self.drawn = {'teacher': 0, 'distillation': 0}  # parity: the browser's draws used so far, per stage

    def init(self, seed):
        """Fresh weights, the browser's initialisers (not its random numbers)."""
        torch.manual_seed(seed)
        v = self.v
        levels = int(v['levels'])
        teacher = [int(v['teacherWidth']) * 2 ** i for i in range(levels)]
        channels = [int(v['width']) * 2 ** i for i in range(levels)]
        f = int(v['fpnChannels'])

        def kernel(prefix, size, cin, cout, std):  # truncated normal at 2 std, bias 0
            self.p[prefix + 'kernel'] = torch.nn.init.trunc_normal_(torch.empty(size, size, cin, cout), std=std, a=-2 * std, b=2 * std)
            self.p[prefix + 'bias'] = torch.zeros(cout)

        def kaiming(prefix, size, cin, cout):
            kernel(prefix, size, cin, cout, math.sqrt(2 / (size * size * cin)))

        def norm(prefix, c):
            self.p[prefix + 'gamma'], self.p[prefix + 'beta'] = torch.ones(c), torch.zeros(c)

        def double(prefix, cin, cout):
            kaiming(prefix + 'conv1.', 3, cin, cout)
            kaiming(prefix + 'conv2.', 3, cout, cout)
            norm(prefix + 'norm1.', cout)
            norm(prefix + 'norm2.', cout)

        for i, out in enumerate(teacher):
            double(f'teacher.encoder.{i}.', 3 if i == 0 else teacher[i - 1], out)
        for i, out in enumerate(teacher[:-1]):
            double(f'teacher.decoder.{i}.', out + teacher[i + 1], out)
        kernel('teacher.out.', 1, teacher[0], 3, 0.02)
        for i, out in enumerate(channels):
            double(f'student.backbone.{i}.', 3 if i == 0 else channels[i - 1], out)
        for i, c in enumerate(channels):
            level = f'student.fpn.levels.{i}.'
            kaiming(level + 'lateral.', 1, c, f)
            kaiming(level + 'conv.', 3, f, f)
            norm(level + 'norm.', f)
            kernel(level + 'out.', 1, f, teacher[i], 0.02)  # small: the first predictions are near 0
        for k in range(len(PPM_BINS)):
            kaiming(f'student.fpn.ppm.bins.{k}.', 1, f, f)
        kaiming('student.fpn.ppm.fuse.', 1, f * (1 + len(PPM_BINS)), f)
        self.to_device()

    def trainable(self, prefix=''):
        return {name: self.p[name] for name in sorted(self.p) if name.startswith(prefix)}

    def kind(self):
        return 'simple' if self.v.get('corruption') == 'simple' else 'vp'

    def teacher_loss(self, images, eps):
        """images [N, 3, S, S] in [0, 1]; eps of their shape."""
        predicted, _ = unet_forward(self.p, 'teacher.', corrupt(images * 2 - 1, eps, float(self.v['sigma']), self.kind()), GROUPS)
        return ((predicted - eps) ** 2).mean()

    def distill_loss(self, images, eps):
        """The student's loss against the frozen teacher's features of the noised images."""
        x = images * 2 - 1
        with torch.no_grad():
            _, features = unet_forward(self.p, 'teacher.', corrupt(x, eps, float(self.v['sigma']), self.kind()), GROUPS)
        terms = distill_terms(student(self.p, x), features[::-1])
        total = torch.zeros((), device=x.device)
        for mse, at in terms:
            if self.v.get('mseLoss', True):
                total = total + mse
            if self.v.get('attentionLoss', True):
                total = total + float(self.v['attentionWeight']) * at
        return total, terms

# ----------------------------------------------------------------------------------------------
# Schedules and the optimisers.


def schedule(v, step, total_steps):
    """(stage, lr) of a step: each stage warms up and decays over its own length, as in the app."""
    teacher_steps = min(int(v['teacherSteps']), total_steps)
    warmup = int(v['warmupSteps'])
    if step < teacher_steps:
        peak = float(v['teacherLearningRate'])
        return 'teacher', cosine_at(peak, peak * 0.01, teacher_steps, min(warmup, teacher_steps), step)
    peak = float(v['learningRate'])
    distill_steps = total_steps - teacher_steps
    return 'distillation', cosine_at(peak, peak * 0.01, distill_steps, min(warmup, distill_steps), step - teacher_steps)


def make_optimizer(model, v):
    """The browser's two optimisers: the teacher's (its denoising stage) and the student's (the
    distillation, which never sees the teacher)."""
    wd = float(v['weightDecay'])
    return Stages({'teacher': adamw(model.trainable('teacher.'), wd), 'distillation': adamw(model.trainable('student.'), wd)})


def train_step(model, optimizer, images, eps, step, total_steps):
    """One step of whichever stage `step` is in; returns its log record (the app's metric names)."""
    stage, lr = schedule(model.v, step, total_steps)
    if stage == 'teacher':
        loss = model.teacher_loss(images, eps)
        record = {'loss': loss, 'teacherLoss': loss}
    else:
        loss, terms = model.distill_loss(images, eps)
        record = {'loss': loss, 'distillLoss': loss}
        for i, (mse, at) in enumerate(terms):
            record[f'mse{i}'], record[f'at{i}'] = mse, at
    active = optimizer.optimizers[stage]
    for group in active.param_groups:
        group['lr'] = lr
    for t in model.p.values():
        t.grad = None
    loss.backward()
    average_gradients(model)
    active.step()
    return {**{name: x.detach() for name, x in record.items()}, 'learningRate': lr}

# ----------------------------------------------------------------------------------------------
# Data: the images themselves (the noise is the only augmentation), and the loop's parts.


def transform(v, tensors):
    from torchvision import transforms as T
    size = int(v['imageSize'])
    return (lambda x: x) if tensors else T.Compose([T.Resize(size), T.CenterCrop(size), T.ToTensor()])


def train(model, optimizer, images, device, step, global_batch, total_steps):
    # The app logs the other stage's metrics as NaN; they are left out here (JSON has no NaN,
    # and the app's import reads a missing metric as NaN).
    images = images.to(device, non_blocking=True)
    return train_step(model, optimizer, images, torch.randn_like(images), step, total_steps)


def parity_step(model, optimizer, inputs, i, step):
    """Step i on the browser's images and noise: the k-th step of a stage takes that stage's k-th
    draw (the teacher's `epsilon`, the distillation's `encodeNoise`: separate streams)."""
    stage, _lr = schedule(model.v, step, int(model.v['totalSteps']))
    k = model.drawn[stage]
    model.drawn[stage] += 1
    eps = nchw(inputs, f'views.{k}.' + ('epsilon' if stage == 'teacher' else 'encodeNoise'))
    return train_step(model, optimizer, nchw(inputs, 'images'), eps, step, int(model.v['totalSteps']))['loss']


def lr_note(v, global_batch):
    return (f'peak lr {float(v["teacherLearningRate"]):.3g} (teacher), {float(v["learningRate"]):.3g} (distillation), '
            'as the app: not scaled by the batch')


if __name__ == '__main__':
    main(Recipe(DreamTeacher, make_optimizer, transform, train, parity_step, lr_note), __doc__)
