#!/usr/bin/env python3
"""{{TITLE}}, exported from SSL Playground: the same method, settings and (when exported from a
run) weights as the browser run, as one PyTorch file.

    python train.py --data DIR                       # one device (CUDA if present, else CPU)
    torchrun --nproc_per_node=N train.py --data DIR  # DistributedDataParallel: NCCL on CUDA, gloo on CPU

--data is an ImageFolder tree (labels used only by DDeP's supervised stage), or `shapes`: the
browser run's own training images (shapes.safetensors). Only torch and torchvision are needed (1.13 on). config.json holds
the experiment; weights.safetensors, when present, the browser's U-Net weights.

What the step computes (Brempong et al. 2022, "Denoising Pretraining for Semantic
Segmentation", section 3; no official code is public, so these are the paper's equations as
the app's TypeScript states them):
  x       2 * pixels - 1 (model units); eps ~ N(0, I); sigma fixed, or per image log-uniform.
  corrupt 'vp': x~ = sqrt(g) x + sqrt(1 - g) eps, g = 1 / (1 + sigma^2);  'simple': x~ = x + sigma eps.
  loss    mean (f(x~) - eps)^2: the U-Net predicts the noise.
  U-Net   levels of (conv3x3 - GroupNorm - SiLU) x 2, 2x2 average pooling down, nearest x2 up
          with the skip concatenated, a 1x1 conv to the noise.
  optim   AdamW (weight decay on rank >= 2), lr warm-up then a cosine to 1 % of the peak.
  DDeP    first `supervisedSteps` steps: the encoder and a linear classifier on its flattened
          bottleneck learn to classify the images (cross-entropy; its own AdamW, warm-up, cosine
          to 0); then the encoder is frozen and the decoder alone learns to denoise. The app
          draws that stage's images from its first 512 training images; here from all of --data.

Weights keep the browser's names and layouts (a kernel is [kh, kw, in, out]).
"""
# {{COMMON}}


# {{UNET}}


class Dep(Weights):
    """The U-Net denoiser. `p` holds every tensor by its browser name (unet.encoder.*, unet.decoder.*, unet.out.*)."""

    def __init__(self, config, device):
        v = config['values']
        self.v = v
        self.ddep = v.get('variant', 'DeP') == 'DDeP'
        self.classes = config.get('classes')  # the data's, for DDeP's classifier
        self.device = device
        self.groups = int(v['groups'])
        self.momentum_encoder = False
        self.p = {}

    def init(self, seed):
        """Fresh weights, the browser's initialisers (not its random numbers)."""
        torch.manual_seed(seed)
        v = self.v
        channels = [int(v['width']) * 2 ** i for i in range(int(v['levels']))]

        def conv(prefix, size, cin, cout, std):
            self.p[prefix + 'kernel'] = torch.nn.init.trunc_normal_(torch.empty(size, size, cin, cout), std=std, a=-2 * std, b=2 * std)
            self.p[prefix + 'bias'] = torch.zeros(cout)

        def double(prefix, cin, cout):
            conv(prefix + 'conv1.', 3, cin, cout, math.sqrt(2 / (9 * cin)))
            conv(prefix + 'conv2.', 3, cout, cout, math.sqrt(2 / (9 * cout)))
            for n in ('norm1.', 'norm2.'):
                self.p[prefix + n + 'gamma'], self.p[prefix + n + 'beta'] = torch.ones(cout), torch.zeros(cout)

        for i, out in enumerate(channels):
            double(f'unet.encoder.{i}.', 3 if i == 0 else channels[i - 1], out)
        for i, out in enumerate(channels[:-1]):
            double(f'unet.decoder.{i}.', out + channels[i + 1], out)
        conv('unet.out.', 1, channels[0], 3, 0.02)
        if self.ddep:  # a linear classifier on the flattened bottleneck (trunc-normal 0.02, as createLinear)
            side = int(v['imageSize']) // 2 ** (len(channels) - 1)
            if not self.classes:
                raise SystemExit("DDeP's supervised stage classifies labelled images: --data needs one folder per class")
            self.p['classifier.weight'] = torch.nn.init.trunc_normal_(torch.empty(side * side * channels[-1], self.classes), std=0.02, a=-0.04, b=0.04)
            self.p['classifier.bias'] = torch.zeros(self.classes)
        self.to_device()

    def trainable(self, stage=None):
        """Every tensor, or those a stage trains: DDeP's supervised stage the encoder and the
        classifier; the denoising stage the U-Net (DDeP: all but the encoder)."""
        def trains(name):
            encoder = name.startswith('unet.encoder.')
            if stage == 'supervised':
                return encoder or name.startswith('classifier.')
            return stage is None or (name.startswith('unet.') and not (self.ddep and encoder))
        return {name: self.p[name] for name in sorted(self.p) if trains(name)}

    def stage(self, step, total_steps):
        """The stage of `step` and its learning rate: each stage warms up and decays over its own
        length, as two separate trainings would (the supervised one to 0, denoising to 1 %)."""
        peak, warmup = float(self.v['learningRate']), int(self.v['warmupSteps'])
        supervised = min(int(self.v['supervisedSteps']), total_steps) if self.ddep else 0
        if step < supervised:
            return 'supervised', cosine_at(peak, 0.0, supervised, min(warmup, supervised), step)
        rest = total_steps - supervised
        return 'denoising', cosine_at(peak, peak * 0.01, rest, min(warmup, rest), step - supervised)

    def classify(self, images):
        """DDeP's supervised stage: logits of the flattened bottleneck (in the browser's NHWC order)."""
        bottleneck = unet_encode(self.p, 'unet.', images * 2 - 1, self.groups)[-1]
        return bottleneck.permute(0, 2, 3, 1).reshape(images.shape[0], -1) @ self.p['classifier.weight'] + self.p['classifier.bias']

    def sample_noise(self, images):
        v = self.v
        eps = torch.randn_like(images)
        if v.get('sigmaMode', 'fixed') == 'sampled':
            low, high = math.log(float(v['sigmaMin'])), math.log(float(v['sigmaMax']))
            sigma = torch.exp(torch.empty(images.shape[0], device=images.device).uniform_(low, high)).clamp(float(v['sigmaMin']), float(v['sigmaMax']))
        else:
            sigma = float(v['sigma'])
        return eps, sigma

    def loss(self, images, eps, sigma):
        """images [N, 3, S, S] in [0, 1]."""
        noisy = corrupt(images * 2 - 1, eps, sigma, 'simple' if self.v.get('corruption') == 'simple' else 'vp')
        return ((unet_forward(self.p, 'unet.', noisy, self.groups)[0] - eps) ** 2).mean()

# ----------------------------------------------------------------------------------------------
# Schedules and the optimiser.


def make_optimizer(model, v):
    """DeP: one AdamW. DDeP: one per stage (the app's supervised optimiser, then its denoiser's)."""
    if not model.ddep:
        return adamw(model.trainable('denoising'), float(v['weightDecay']))
    return Stages({stage: adamw(model.trainable(stage), float(v['weightDecay'])) for stage in ('supervised', 'denoising')})


def train_step(model, optimizer, batch, step, total_steps):
    """batch: (images, labels) in the supervised stage, (images, eps, sigma) in the denoising one."""
    stage, lr = model.stage(step, total_steps)
    optimizer = optimizer.optimizers[stage] if isinstance(optimizer, Stages) else optimizer
    for group in optimizer.param_groups:
        group['lr'] = lr
    for t in model.p.values():
        t.grad = None
    if stage == 'supervised':
        images, labels = batch
        logits = model.classify(images)
        loss = F.cross_entropy(logits, labels)
        record = {'supervisedLoss': loss, 'supervisedAccuracy': (logits.argmax(1) == labels).float().mean()}
    else:
        images, eps, sigma = batch
        loss = model.loss(images, eps, sigma)
        record = {'denoiseLoss': loss, 'sigma': sigma.mean() if torch.is_tensor(sigma) else torch.tensor(sigma)}
    loss.backward(inputs=list(model.trainable(stage).values()))  # DDeP's frozen encoder gets no gradient
    average_gradients(model)
    optimizer.step()
    return {'loss': loss.detach(), **{name: x.detach() for name, x in record.items()}, 'learningRate': lr}

# ----------------------------------------------------------------------------------------------
# Data: the images themselves (the noise is the only augmentation DeP uses), and the loop's parts.


def transform(v, tensors):
    from torchvision import transforms as T
    size = int(v['imageSize'])
    return (lambda x: x) if tensors else T.Compose([T.Resize(size), T.CenterCrop(size), T.ToTensor()])


def train(model, optimizer, batch, device, step, global_batch, total_steps):
    images, labels = batch
    images = images.to(device, non_blocking=True)
    if model.stage(step, total_steps)[0] == 'supervised':
        return train_step(model, optimizer, (images, labels.to(device, non_blocking=True)), step, total_steps)
    eps, sigma = model.sample_noise(images)
    return train_step(model, optimizer, (images, eps, sigma), step, total_steps)


def parity_step(model, optimizer, inputs, i, step):
    """Step i on what the browser drew: its labelled images and labels (DDeP's supervised stage),
    or its noise and sigmas on the batch's images."""
    total = int(model.v['totalSteps'])
    if model.stage(step, total)[0] == 'supervised':
        batch = (nchw(inputs, f'views.{i}.images'), inputs[f'views.{i}.labels'].long())
    else:
        sigma = inputs[f'views.{i}.sigmas'] if f'views.{i}.sigmas' in inputs else float(model.v['sigma'])
        batch = (nchw(inputs, 'images'), nchw(inputs, f'views.{i}.epsilon'), sigma)
    return train_step(model, optimizer, batch, step, total)['loss']


def lr_note(v, global_batch):
    return f'peak lr {float(v["learningRate"]):.3g} (as the app: not scaled by the batch)'


if __name__ == '__main__':
    main(Recipe(Dep, make_optimizer, transform, train, parity_step, lr_note, labelled=True), __doc__)
