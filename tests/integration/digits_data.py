"""Digits as DataLoaders, for the integration tests' real fits: the first 75% of ``n``
images to train on (shuffled by a seeded generator), the rest to validate on."""

from __future__ import annotations

import torch


def digits_loaders(n: int = 600) -> tuple[torch.utils.data.DataLoader, torch.utils.data.DataLoader]:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x[:n] / 16.0, dtype=torch.float32)
    y = torch.tensor(y[:n])
    cut = int(0.75 * n)
    train = torch.utils.data.TensorDataset(x[:cut], y[:cut])
    val = torch.utils.data.TensorDataset(x[cut:], y[cut:])
    return (torch.utils.data.DataLoader(train, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0)),
            torch.utils.data.DataLoader(val, batch_size=128))
