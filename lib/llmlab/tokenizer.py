"""The course tokenizer: a byte-level BPE trained on TinyWorld with the `tokenizers` library.

One vocabulary serves every zoo model (decoder, encoder-decoder), wrapped as a Hugging Face
``PreTrainedTokenizerFast`` so ``save_pretrained``/``AutoTokenizer`` and pipelines just work.
"""
from __future__ import annotations

from typing import Iterable

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

EOS = "<|endoftext|>"
PAD = "<pad>"
UNK = "<unk>"
MASK = "<mask>"
N_SENTINELS = 16  # <extra_id_0> ... for T5-style span corruption
SENTINELS = [f"<extra_id_{i}>" for i in range(N_SENTINELS)]
SPECIALS = [PAD, EOS, UNK, MASK, *SENTINELS]


def train_bpe(texts: Iterable[str], vocab_size: int, model_max_length: int) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE (GPT-2 style: any byte sequence is encodable, so no <unk> at run time)."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=SPECIALS, min_frequency=2,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=EOS, eos_token=EOS, pad_token=PAD, unk_token=UNK,
        mask_token=MASK, additional_special_tokens=SENTINELS,
        model_max_length=model_max_length, clean_up_tokenization_spaces=False)
