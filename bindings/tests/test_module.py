import pytest

import moescope


def test_accelerators_listed():
    names = moescope.accelerator_names()
    assert "h100-sxm" in names
    assert len(names) >= 18


def test_hbm_bandwidth_in_si_units():
    # H100 SXM: 3.35 TB/s (hwdb/accelerators/h100-sxm.json)
    assert moescope.hbm_bandwidth_bytes_per_s("h100-sxm") == pytest.approx(3.35e12, rel=1e-6)


def test_unknown_accelerator_is_a_value_error():
    with pytest.raises(ValueError, match="unknown accelerator"):
        moescope.hbm_bandwidth_bytes_per_s("h1000")
