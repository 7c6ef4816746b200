"""A stack whose augmentation crops to another size (``random_resized_crop`` with a
``size``, the ``cifar10_train`` preset): its members train on the cropped images, as ``fit``
trains one, instead of every member failing on the size the batch had before."""

import torch

from nntune.train import fit
from nntune.train.augment import make_augment, make_eval_transform
from nntune.train.stack_run import fit_stack

CROP = [{"random_resized_crop": {"size": 6, "scale": [0.5, 1.0]}}]
PARAMS = {"model": "cnn", "conv_layers": 1, "filters": 4, "units": 16, "epochs": 2, "batch_size": 64, "lr": 0.01}


def test_a_stack_trains_on_crops_of_another_size_as_fit_does(digits_images) -> None:
    transform = make_eval_transform(CROP)
    results = fit_stack([PARAMS, {**PARAMS, "lr": 0.02}], digits_images, seeds=[0, 1], device="cpu",
                        augment=make_augment(CROP, seed=0), eval_transform=transform)
    assert len(results) == 2 and all(r.diverged is None and len(r.history) == 2 for r in results)
    solo = fit(PARAMS, digits_images, seed=0, device="cpu", augment=make_augment(CROP, seed=0),
               eval_transform=transform)
    assert len(solo.history) == 2 and torch.isfinite(torch.tensor(solo.history[-1]["val_loss"]))
