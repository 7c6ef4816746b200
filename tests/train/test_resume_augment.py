"""A run with augmentation resumed from its checkpoint draws the crops and flips the
uninterrupted run would have drawn: the augmentation's generator is saved with the
checkpoint, as the batch order's is."""

from pathlib import Path

from nntune.train import fit
from nntune.train.augment import make_augment

FLIPS = [{"random_crop": {"padding": 1}}, "hflip"]
PARAMS = {"model": "cnn", "conv_layers": 1, "filters": 4, "units": 16, "epochs": 4, "batch_size": 64,
          "optimizer": "momentum", "lr": 0.05, "lr_schedule": "constant"}


def curves(history: list[dict]) -> list[tuple[float, float]]:
    return [(r["train_loss"], r["val_loss"]) for r in history]


def test_resume_with_augmentation_equals_one_uninterrupted_run(digits_images, tmp_path: Path) -> None:
    whole = fit(PARAMS, digits_images, seed=3, augment=make_augment(FLIPS, seed=3))
    path = tmp_path / "half.pt"
    fit({**PARAMS, "epochs": 2}, digits_images, seed=3, augment=make_augment(FLIPS, seed=3), checkpoint_path=path)
    rest = fit(PARAMS, digits_images, seed=3, augment=make_augment(FLIPS, seed=3), resume_from=path)
    assert curves(rest.history) == curves(whole.history[2:])
