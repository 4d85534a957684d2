# ----------------------------------------------------------------------------------------------
# The U-Net of DeP (and DreamTeacher's teacher), as functions of a dict of tensors named as in
# the browser under a prefix (project.ts inserts this file at the train.py's UNET marker).


def norm_groups(channels, groups):
    """The largest divisor of `channels` that is <= `groups` (GroupNorm needs C % G == 0)."""
    for g in range(max(1, min(int(groups), channels)), 1, -1):
        if channels % g == 0:
            return g
    return 1


def conv(p, prefix, x):
    """A convolution with the browser's [kh, kw, in, out] kernel: 3x3 'same' or 1x1."""
    kernel = p[prefix + 'kernel']
    return F.conv2d(x, kernel.permute(3, 2, 0, 1), p[prefix + 'bias'], padding=kernel.shape[0] // 2)


def conv_norm(p, conv_prefix, norm_prefix, x, groups, act):
    x = conv(p, conv_prefix, x)
    return act(F.group_norm(x, norm_groups(x.shape[1], groups), p[norm_prefix + 'gamma'], p[norm_prefix + 'beta'], 1e-5))


def double_conv(p, prefix, x, groups, act=F.silu):
    """(conv3x3 - GroupNorm - activation) x 2."""
    x = conv_norm(p, prefix + 'conv1.', prefix + 'norm1.', x, groups, act)
    return conv_norm(p, prefix + 'conv2.', prefix + 'norm2.', x, groups, act)


def unet_encode(p, prefix, x, groups):
    """The encoder's features per level, finest first (2x2 average pooling between levels); the
    last is the bottleneck."""
    levels = []
    while f'{prefix}encoder.{len(levels)}.conv1.kernel' in p:
        levels.append(double_conv(p, f'{prefix}encoder.{len(levels)}.', x if not levels else F.avg_pool2d(levels[-1], 2), groups))
    return levels


def unet_forward(p, prefix, x, groups):
    """x [N, 3, S, S] in model units -> (the predicted noise [N, 3, S, S], the decoder's features
    from the bottleneck to the finest level): nearest x2 up with the skip concatenated, a 1x1
    conv to the noise."""
    skips = unet_encode(p, prefix, x, groups)
    x = skips.pop()
    features = [x]
    for level in range(len(skips) - 1, -1, -1):
        x = double_conv(p, f'{prefix}decoder.{level}.', torch.cat([skips[level], F.interpolate(x, scale_factor=2, mode='nearest')], 1), groups)
        features.append(x)
    return conv(p, prefix + 'out.', x), features


def corrupt(x, eps, sigma, kind):
    """x~ = a x + b eps: 'simple' x + sigma eps; 'vp' sqrt(g) x + sqrt(1 - g) eps, g = 1 / (1 + sigma^2).
    sigma is one number (its scales computed in double precision, as the browser does) or one per image [N]."""
    if kind == 'simple':
        return x + (sigma.reshape(-1, 1, 1, 1) if torch.is_tensor(sigma) else sigma) * eps
    if not torch.is_tensor(sigma):
        gamma = 1 / (1 + sigma * sigma)
        return math.sqrt(gamma) * x + math.sqrt(1 - gamma) * eps
    a = torch.rsqrt(sigma.reshape(-1, 1, 1, 1) ** 2 + 1)  # sqrt(g); sqrt(1 - g) = sigma sqrt(g)
    return a * x + sigma.reshape(-1, 1, 1, 1) * a * eps
