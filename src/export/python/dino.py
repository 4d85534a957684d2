#!/usr/bin/env python3
"""{{TITLE}}, exported from SSL Playground: the same method, settings and (when exported from a
run) weights as the browser run, as one PyTorch file.

    python train.py --data DIR                       # one device (CUDA if present, else CPU)
    torchrun --nproc_per_node=N train.py --data DIR  # DistributedDataParallel: NCCL on CUDA, gloo on CPU

--data is an ImageFolder tree (one folder per class; the labels are not used for training), or
`shapes`: the browser run's own training images (shapes.safetensors, when it trained on them).
Only torch and torchvision are needed (any version from 1.13 on). config.json holds the
experiment; weights.safetensors, when present, the browser's weights (student, teacher and the
center), so training continues where the browser stopped.

What the step computes (Caron et al. 2021; facebookresearch/dino main_dino.py, as the app's
TypeScript, which cites it line by line):
  crops   2 global crops (teacher and student) and L local crops (student only), crop-major.
  teacher P_t = softmax((g_t(x) - C) / tau_t), no gradient; tau_t warms up linearly.
  loss    L = mean over pairs (teacher crop i, student crop v != i) of
          -sum_k P_t[i] log softmax(g_s(x_v) / tau_s)   (Eq. 3), averaged over the batch.
  center  C <- m C + (1 - m) mean of the teacher's logits over the global batch.
  teacher theta_t <- lambda theta_t + (1 - lambda) theta_s, lambda on a cosine to 1.
  head    3-layer MLP with GELU, L2 normalisation, weight-normalised prototypes (norm fixed at 1
          with normLastLayer), frozen for the first freezeLastLayerSteps steps.
  optim   AdamW, lr = lr * global batch / 256 with a linear warm-up then a cosine to the final
          lr, weight decay on a cosine (rank >= 2 only), each gradient clipped to its own norm.

Weights keep the browser's names and layouts (a linear weight is [in, out], the patch embedding
[p, p, 3, D]), so weights.safetensors loads and saves without conversion.
"""
# {{COMMON}}


# ----------------------------------------------------------------------------------------------
# The networks, as functions of a dict of tensors named as in the browser.


# {{VIT}}


def head_forward(p, prefix, x, norm_last_layer):
    """DINOHead: Linear-GELU-Linear-GELU-Linear to the bottleneck, L2-normalise, then the
    weight-normalised prototypes (each column a unit vector, times g unless it is fixed)."""
    for i in range(3):
        x = x @ p[f'{prefix}mlp.{i}.weight'] + p[f'{prefix}mlp.{i}.bias']
        if i < 2:
            x = F.gelu(x)
    x = F.normalize(x, dim=-1)
    direction = p[prefix + 'lastLayer.direction']
    unit = direction / direction.norm(dim=0, keepdim=True)
    return x @ (unit if norm_last_layer else unit * p[prefix + 'lastLayer.norm'])


class Dino(Weights):
    """The student (trained), the teacher (EMA) and the center. `p` holds every tensor by its
    browser name: student.backbone.*, student.head.*, teacher.*, center."""

    def __init__(self, config, device):
        v = config['values']
        self.v = v
        self.device = device
        self.norm_last_layer = bool(v['normLastLayer'])
        self.local_crops = int(v['localCrops']) if v['multiCrop'] else 0
        grid = int(v['imageSize']) // int(v['patchSize'])
        self.local_resize = grid_resize_matrix(grid, int(v['localCropSize']) // int(v['patchSize'])) if self.local_crops else None
        self.momentum_encoder = True  # the teacher; with momentumTeacher off its momentum is 0
        self.p = {}

    def init(self, seed):
        """Fresh weights, the browser's initialisers (not its random numbers)."""
        torch.manual_seed(seed)
        v = self.v
        width, patch, hidden = int(v['width']), int(v['patchSize']), int(v['mlpRatio']) * int(v['width'])

        def trunc(shape, std):
            return torch.nn.init.trunc_normal_(torch.empty(shape), std=std, a=-2 * std, b=2 * std)

        def uniform(shape, fan_in):
            bound = 1 / math.sqrt(fan_in)
            return torch.empty(shape).uniform_(-bound, bound)

        s = 'student.backbone.'
        self.p[s + 'patchEmbed.kernel'] = uniform([patch, patch, 3, width], patch * patch * 3)
        self.p[s + 'patchEmbed.bias'] = uniform([width], patch * patch * 3)
        self.p[s + 'clsToken'] = trunc([1, 1, width], 0.02)
        self.p[s + 'positionEmbedding'] = trunc([1, 1 + (int(v['imageSize']) // patch) ** 2, width], 0.02)
        for i in range(int(v['depth'])):
            b = f'{s}blocks.{i}.'
            for name, shape in (('qkv', (width, 3 * width)), ('proj', (width, width)), ('fc1', (width, hidden)), ('fc2', (hidden, width))):
                self.p[b + name + '.weight'] = trunc(list(shape), 0.02)
                self.p[b + name + '.bias'] = torch.zeros(shape[1])
            for norm in ('norm1', 'norm2'):
                self.p[b + norm + '.gamma'], self.p[b + norm + '.beta'] = torch.ones(width), torch.zeros(width)
        self.p[s + 'norm.gamma'], self.p[s + 'norm.beta'] = torch.ones(width), torch.zeros(width)
        dims = [width, int(v['headHidden']), int(v['headHidden']), int(v['bottleneck'])]
        for i in range(3):
            self.p[f'student.head.mlp.{i}.weight'] = trunc([dims[i], dims[i + 1]], 0.02)
            self.p[f'student.head.mlp.{i}.bias'] = torch.zeros(dims[i + 1])
        self.p['student.head.lastLayer.direction'] = uniform([dims[3], int(v['outputDim'])], dims[3])
        self.p['student.head.lastLayer.norm'] = torch.ones(int(v['outputDim']))
        for name in list(self.p):
            self.p['teacher.' + name[len('student.'):]] = self.p[name].clone()
        self.p['center'] = torch.zeros(1, int(v['outputDim']))
        self.to_device()

    def trains(self, name):
        return name.startswith('student.') and not (self.norm_last_layer and name == 'student.head.lastLayer.norm')

    def trainable_names(self):
        return sorted(n for n in self.p if self.trains(n))

    def trainable(self):
        # Sorted by name: the optimiser's state lists parameters in this order (see --resume).
        return {name: self.p[name] for name in self.trainable_names()}

    def forward(self, crops, teacher_temperature):
        """crops: [globals [2B, 3, S, S], locals [L*B, 3, s, s]] (locals absent without multi-crop).
        Returns the loss and the teacher's logits (for the center)."""
        v = self.v
        globals_ = crops[0]
        with torch.no_grad():
            teacher_logits = head_forward(self.p, 'teacher.head.', vit_forward(self.p, 'teacher.backbone.', globals_, v), self.norm_last_layer)
            targets = torch.softmax((teacher_logits - self.p['center']) / teacher_temperature, -1)
        cls = vit_forward(self.p, 'student.backbone.', globals_, v)
        if self.local_crops:
            cls = torch.cat([cls, vit_forward(self.p, 'student.backbone.', crops[1], v, self.local_resize)], 0)
        student = torch.log_softmax(head_forward(self.p, 'student.head.', cls, self.norm_last_layer) / float(v['studentTemperature']), -1)
        batch = globals_.shape[0] // 2
        views = 2 + self.local_crops
        teacher_flat = targets.reshape(2, batch * targets.shape[1])
        student_flat = student.reshape(views, batch * targets.shape[1])
        cross = -(teacher_flat @ student_flat.T) / batch  # [2, views]: every (teacher, student) pair
        mask = torch.ones(2, views, device=cross.device)
        mask[0, 0] = mask[1, 1] = 0  # a crop is not its own target
        return (cross * mask).sum() / (2 * views - 2), teacher_logits

    def ema(self, momentum):
        self.ema_update(momentum, 'student.', 'teacher.')

    @torch.no_grad()
    def update_center(self, teacher_logits):
        """DINOLoss.update_center: the mean over the global batch (all-reduced under DDP)."""
        total = all_reduce_sum(teacher_logits.sum(0, keepdim=True))
        mean = total / (teacher_logits.shape[0] * world())
        m = float(self.v['centerMomentum'])
        self.p['center'].mul_(m).add_(mean, alpha=1 - m)

# ----------------------------------------------------------------------------------------------
# Schedules and the optimiser.


def linear_warmup_at(start, final, steps, step):
    if steps <= 0 or step >= steps:
        return final
    return start if steps == 1 else start + (final - start) * step / (steps - 1)


def schedule(v, step, global_batch, total_steps):
    peak = float(v['learningRate']) * global_batch / 256
    tau = linear_warmup_at(float(v['warmupTeacherTemperature']), float(v['teacherTemperature']), int(v['teacherTemperatureWarmupSteps']), step)
    return {
        'learningRate': cosine_at(peak, float(v['minLearningRate']), total_steps, int(v['warmupSteps']), step),
        'weightDecay': cosine_at(float(v['weightDecay']), float(v['weightDecayEnd']), total_steps, 0, step),
        'teacherMomentum': cosine_at(float(v['teacherMomentum']), 1.0, total_steps, 0, step) if v['momentumTeacher'] else 0.0,
        'teacherTemperature': tau if v['sharpening'] else float(v['studentTemperature']),
    }


def make_optimizer(model, v):
    """AdamW (torch's, the same update as the browser's); weight decay on rank >= 2 only."""
    return adamw(model.trainable(), 0.0)  # the decay is scheduled: train_step sets it each step


def train_step(model, optimizer, crops, step, global_batch, total_steps):
    v = model.v
    s = schedule(v, step, global_batch, total_steps)
    optimizer.param_groups[0]['weight_decay'] = s['weightDecay']
    for group in optimizer.param_groups:
        group['lr'] = s['learningRate']
    loss, teacher_logits = model.forward(crops, s['teacherTemperature'])
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    params = model.trainable()
    average_gradients(model)
    clip = float(v['gradientClip'])
    for name, t in params.items():
        if t.grad is None:
            continue
        if step < int(v['freezeLastLayerSteps']) and name.startswith('student.head.lastLayer.'):
            t.grad = None  # frozen: no update at all (DINO's cancel_gradients_last_layer)
        elif clip > 0:
            coefficient = clip / (t.grad.norm() + 1e-6)  # utils.clip_gradients, per parameter
            if coefficient < 1:
                t.grad.mul_(coefficient)
    optimizer.step()
    model.ema(s['teacherMomentum'])
    if v['centering']:
        model.update_center(teacher_logits)
    return loss.detach(), s

# ----------------------------------------------------------------------------------------------
# Data and multi-crop augmentations (torchvision's, with the app's settings: the same
# distributions, not the same random numbers).


def augmentation(v, size, scale, blur, solarize, tensors=False):
    from torchvision import transforms as T
    jitter = float(v.get('colorJitter', 1))
    ops = [T.RandomResizedCrop(size, scale=scale, antialias=True)]
    if float(v.get('rotation', 0)) > 0:
        ops.append(T.RandomRotation(float(v['rotation'])))
    ops.append(T.RandomHorizontalFlip())
    if jitter > 0:
        hue = min(0.5, float(v.get('hueJitter', 0.1)) * jitter)
        ops.append(T.RandomApply([T.ColorJitter(0.4 * jitter, 0.4 * jitter, 0.2 * jitter, hue)], p=0.8))
    ops.append(T.RandomGrayscale(float(v.get('grayscaleProbability', 0.2))))
    if v.get('blurSolarize', True):
        if blur > 0:
            ops.append(T.RandomApply([T.GaussianBlur(3, sigma=(0.1, 2.0))], p=blur))
        if solarize > 0:
            ops.append(T.RandomSolarize(0.5 if tensors else 128, p=solarize))
    ops += ([] if tensors else [T.ToTensor()]) + [T.Normalize(MEAN.tolist(), STD.tolist())]
    return T.Compose(ops)


class MultiCrop:
    """Two global crops (blur p 1.0 and 0.1, solarize p 0.2 on the second, as DINO) and the
    local crops; returns [global 1, global 2, local 1, ...]."""

    def __init__(self, v, tensors):
        size = int(v['imageSize'])
        scale = (float(v['globalScaleMin']), 1.0)
        self.globals = [augmentation(v, size, scale, 1.0, 0.0, tensors), augmentation(v, size, scale, 0.1, 0.2, tensors)]
        self.locals = int(v['localCrops']) if v['multiCrop'] else 0
        self.local = augmentation(v, int(v['localCropSize']), (float(v['localScaleMin']), float(v['localScaleMax'])), 0.5, 0.0, tensors)

    def __call__(self, image):
        return [t(image) for t in self.globals] + [self.local(image) for _ in range(self.locals)]


def transform(v, tensors):
    return MultiCrop(v, tensors)


def train(model, optimizer, crops, device, step, global_batch, total_steps):
    """crops: [global 1, global 2, locals...] each [B, 3, s, s] -> globals [2B, ...] and locals [L*B, ...]."""
    batch = [torch.cat(crops[:2], 0).to(device, non_blocking=True)]
    if len(crops) > 2:
        batch.append(torch.cat(crops[2:], 0).to(device, non_blocking=True))
    loss, s = train_step(model, optimizer, batch, step, global_batch, total_steps)
    return {'loss': loss, **s}


def parity_step(model, optimizer, inputs, i, step):
    """Step i on the global and local crops the browser drew."""
    crops = [nchw(inputs, f'views.{i}.globals')]
    if f'views.{i}.locals' in inputs:
        crops.append(nchw(inputs, f'views.{i}.locals'))
    loss, _s = train_step(model, optimizer, crops, step, int(model.v['batchSize']), int(model.v['totalSteps']))
    return loss


def lr_note(v, global_batch):
    return f'peak lr {float(v["learningRate"]) * global_batch / 256:.3g}'


if __name__ == '__main__':
    main(Recipe(Dino, make_optimizer, transform, train, parity_step, lr_note), __doc__)
