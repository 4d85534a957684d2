# ----------------------------------------------------------------------------------------------
# The ViT (project.ts inserts it at the train.py's VIT marker).


def grid_resize_matrix(grid_in, grid_out):
    """Bilinear resize of a grid_in x grid_in grid to grid_out x grid_out as a matrix
    [grid_out^2, grid_in^2] (F.interpolate, align_corners=False): the local crops' position
    embeddings, as the browser computes them."""
    axis = torch.zeros(grid_out, grid_in, dtype=torch.float64)
    scale = grid_in / grid_out
    for o in range(grid_out):
        source = max((o + 0.5) * scale - 0.5, 0.0)
        i0 = min(int(math.floor(source)), grid_in - 1)
        i1 = min(i0 + 1, grid_in - 1)
        w = source - i0
        axis[o, i0] += 1 - w
        axis[o, i1] += w
    return torch.einsum('ai,bj->abij', axis, axis).reshape(grid_out * grid_out, grid_in * grid_in).float()


def vit_forward(p, prefix, images, v, resize=None):
    """A pre-LayerNorm ViT (DINO's vision_transformer.py, scaled down): patch embedding (the
    strided convolution written as one matrix product over the patches), a CLS token, learned
    position embeddings (resized by `resize` for smaller crops), `depth` blocks of attention +
    MLP, a final LayerNorm; returns CLS [N, D]."""
    x = images.permute(0, 2, 3, 1)  # the browser's NHWC: its patch rows are read in that order
    n, size, patch, width = x.shape[0], x.shape[1], int(v['patchSize']), int(v['width'])
    grid = size // patch
    rows = x.reshape(n, grid, patch, grid, patch, 3).permute(0, 1, 3, 2, 4, 5).reshape(n * grid * grid, patch * patch * 3)
    tokens = (rows @ p[prefix + 'patchEmbed.kernel'].reshape(patch * patch * 3, width) + p[prefix + 'patchEmbed.bias']).reshape(n, grid * grid, width)
    position = p[prefix + 'positionEmbedding']
    patch_position = position[:, 1:]
    if resize is not None:
        patch_position = (resize.to(position.device) @ patch_position.reshape(-1, width)).reshape(1, grid * grid, width)
    cls = (p[prefix + 'clsToken'] + position[:, :1]).expand(n, 1, width)
    x = torch.cat([cls, tokens + patch_position], 1)
    heads = int(v['heads'])
    i = 0
    while f'{prefix}blocks.{i}.qkv.weight' in p:
        b = f'{prefix}blocks.{i}.'
        h = F.layer_norm(x, (width,), p[b + 'norm1.gamma'], p[b + 'norm1.beta'], 1e-6)
        q, k, value = (h @ p[b + 'qkv.weight'] + p[b + 'qkv.bias']).split(width, -1)
        split = lambda t: t.reshape(n, -1, heads, width // heads).transpose(1, 2)  # noqa: E731
        attention = torch.softmax(split(q) @ split(k).transpose(-1, -2) / math.sqrt(width // heads), -1)
        mixed = (attention @ split(value)).transpose(1, 2).reshape(n, -1, width)
        x = x + mixed @ p[b + 'proj.weight'] + p[b + 'proj.bias']
        h = F.layer_norm(x, (width,), p[b + 'norm2.gamma'], p[b + 'norm2.beta'], 1e-6)
        x = x + F.gelu(h @ p[b + 'fc1.weight'] + p[b + 'fc1.bias']) @ p[b + 'fc2.weight'] + p[b + 'fc2.bias']
        i += 1
    return F.layer_norm(x, (width,), p[prefix + 'norm.gamma'], p[prefix + 'norm.beta'], 1e-6)[:, 0]
