"""Lab 04's exercise checks against wrong implementations written without looking at the checks
(``wrong_implementations.py``): every wrong version is rejected, most by a message that names its bug,
and correct versions written differently pass."""
from __future__ import annotations


import pytest

from llmlab.checks import failure_message
from llmlab.lab04 import checks
from llmlab.lab04 import quantize as Q

import lab04_wrong_implementations as W  # the test folder is on sys.path (pytest rootdir mode)

pytestmark = pytest.mark.usefixtures("one_torch_thread")

EXERCISES = {  # name -> (check, reference, wrong versions, other correct versions)
    "bytes_to_train": (checks.check_bytes_to_train, checks.reference_bytes_to_train, W.BYTES_TO_TRAIN,
                       W.BYTES_TO_TRAIN_OK),
    "absmax": (checks.check_absmax, Q.absmax_quantize, W.ABSMAX, W.ABSMAX_OK),
    "zeropoint": (checks.check_zeropoint, Q.zeropoint_quantize, W.ZEROPOINT, W.ZEROPOINT_OK),
    "fake_quantize": (checks.check_fake_quantize, Q.fake_quantize, W.FAKE_QUANTIZE, W.FAKE_QUANTIZE_OK),
}
# The checks' last-resort messages: right that something differs, silent on why.
GENERIC = ("differs from the reference in", "values differ in", "Count bytes per parameter × n_params.",
           "scale = x.abs().amax(...) / 127.", "with min ≤ 0 ≤ max.", "(an integer in −128 … 127).")



@pytest.mark.parametrize("name", EXERCISES)
def test_reference_and_other_correct_versions_pass(name):
    check, reference, _, ok = EXERCISES[name]
    for desc, fn in {"reference": reference, **ok}.items():
        assert failure_message(check, fn) is None, desc


@pytest.mark.parametrize("name", EXERCISES)
def test_every_wrong_version_is_rejected_and_most_are_named(name):
    check, _, wrong, _ = EXERCISES[name]
    assert len(wrong) >= 12
    messages = {desc: failure_message(check, fn) for desc, fn in wrong.items()}
    accepted = [d for d, m in messages.items() if m is None]
    assert not accepted, f"accepted wrong versions: {accepted}"
    generic = [d for d, m in messages.items() if any(g in m for g in GENERIC)]
    assert len(generic) <= 0.2 * len(wrong), f"only a generic message for: {generic}"
