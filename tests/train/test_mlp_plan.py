"""Note 003's width advice for MLPs, as ``--dry-run`` prints it."""

from nntune.train.mlp_plan import width_advice


def test_equal_widths_wider_than_the_input_get_no_advice():
    assert width_advice({"layers": 3, "units": 128}, (64,)) == []
    assert width_advice({"layers": 0, "units": 8}, (64,)) == []


def test_varied_widths_and_a_narrow_first_layer_are_named():
    lines = width_advice({"layers": 2, "units": [256, 64]}, (1, 28, 28))
    assert lines[0].startswith("hidden widths 256, 64 differ; note 003")
    assert lines[1].startswith("the first hidden layer (256 units) is no wider than the input (784 features)")


def test_the_trainer_defaults_are_read_when_not_given():
    assert width_advice({}, (1, 28, 28))[0].startswith("the first hidden layer (128 units)")
