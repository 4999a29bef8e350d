"""Benchmark-size random-weight models, built on demand into .cache/bench-models/ (outside git).

The tiny test fixtures measure per-call overhead; these models are the size users run, so the benches in
bench/*-large.bench.ts measure compute. Random weights, real architectures, the Hugging Face / Optimum
folder layout that transformers.js and @mlkit/onnx both load:

  bench-minilm/   BertModel shaped like all-MiniLM-L6-v2 (6 layers, hidden 384, 12 heads, intermediate 1536,
                  a 30k WordPiece vocab of made-up words), sentence-transformers mean pooling files,
                  onnx/model.onnx (fp32) and onnx/model_quantized.onnx (int8, dynamic)
  bench-llama/    LlamaForCausalLM, ~39M parameters (8 layers, hidden 512, 8 heads, 2 KV heads, intermediate
                  1408, tied embeddings, 2048 positions, a 32k byte-level BPE vocab trained here on made-up
                  words), exported with its KV cache (Optimum's text-generation-with-past: onnx/model.onnx with
                  past_key_values.* inputs and present.* outputs), and onnx/model_quantized.onnx (int8)

Run through scripts/bench-models/build.sh, which makes the pinned .venv-export and skips the build when
this file is unchanged since the last one (.cache/bench-models/.stamp holds its sha256).
"""

import json
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(os.environ.get("BENCH_MODELS_DIR", ROOT / ".cache" / "bench-models"))
OPSET = 18
LETTERS = "abcdefghijklmnopqrstuvwxyz"
KEEP = (".json", ".txt")


def seed(n: int) -> None:
    random.seed(n)
    np.random.seed(n)
    torch.manual_seed(n)


def made_up_words(count: int, rng: random.Random) -> list[str]:
    """Distinct lowercase pseudo-words of 2-9 letters (consonant-vowel syllables, so BPE finds merges)."""
    consonants, vowels = "bcdfghjklmnprstvwz", "aeiou"
    words: set[str] = set()
    while len(words) < count:
        syllables = rng.randint(1, 4)
        word = "".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(syllables))
        if rng.random() < 0.3:
            word += rng.choice(consonants)
        words.add(word)
    return sorted(words)


def reset(folder: Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "onnx").mkdir(parents=True)


def copy_metadata(source: Path, folder: Path) -> None:
    """config / generation / tokenizer files from a save_pretrained folder (never the weights)."""
    for file in sorted(source.iterdir()):
        if file.is_file() and file.suffix in KEEP:
            shutil.copyfile(file, folder / file.name)


def optimum_export(hf_dir: Path, task: str, folder: Path) -> list[str]:
    """Optimum's exporter, as users export theirs; copies every .onnx file it writes into folder/onnx/."""
    from optimum.exporters.onnx import main_export

    with tempfile.TemporaryDirectory() as out:
        main_export(str(hf_dir), output=out, task=task, opset=OPSET, device="cpu", do_validation=False)
        names = sorted(p.name for p in Path(out).glob("*.onnx"))
        if list(Path(out).glob("*.onnx_data")):
            raise SystemExit(f"bench models: {hf_dir.name} was written with external data; keep it under 2 GB")
        for name in names:
            shutil.copyfile(Path(out) / name, folder / "onnx" / name)
    return names


def quantize(folder: Path, name: str) -> None:
    """int8 dynamic quantisation (weights int8, activations quantised at run time), named as
    transformers.js's dtype 'q8' looks for it: onnx/<stem>_quantized.onnx."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    source = folder / "onnx" / name
    target = source.with_name(f"{source.stem}_quantized.onnx")
    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=False)


# --- encoder: MiniLM-L6-shaped BERT --------------------------------------------------------------------


def wordpiece_tokenizer(folder: Path, words: list[str]):
    """A BERT WordPiece tokenizer over a made-up 30k vocab: the specials, every letter and ##letter (so any
    word splits into known pieces), digits and punctuation, ##suffixes, then whole words."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import BertTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    pieces = list(LETTERS) + [f"##{c}" for c in LETTERS] + list("0123456789.,!?;:'\"()-")
    suffixes = [f"##{w}" for w in words[:4000]]
    vocab_list = specials + pieces + suffixes + words[4000:]
    vocab_list = vocab_list[:30522]
    vocab = {token: i for i, token in enumerate(vocab_list)}
    tok = Tokenizer(models.WordPiece(vocab=vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True, clean_text=True, handle_chinese_chars=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece(prefix="##")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    tok.enable_truncation(max_length=512)
    fast = BertTokenizerFast(tokenizer_object=tok, model_max_length=512, do_lower_case=True)
    fast.save_pretrained(folder)
    return len(vocab)


def build_minilm(words: list[str]) -> None:
    from transformers import BertConfig, BertModel

    seed(1)
    folder = OUT / "bench-minilm"
    reset(folder)
    with tempfile.TemporaryDirectory() as tmp:
        hf = Path(tmp)
        vocab_size = wordpiece_tokenizer(hf, words)
        config = BertConfig(
            vocab_size=vocab_size, hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
            intermediate_size=1536, max_position_embeddings=512, type_vocab_size=2,
        )
        model = BertModel(config, add_pooling_layer=False).eval()
        model.save_pretrained(hf)
        optimum_export(hf, "feature-extraction", folder)
        copy_metadata(hf, folder)
    quantize(folder, "model.onnx")
    (folder / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ], indent=2) + "\n")
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({
        "word_embedding_dimension": 384, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False,
        "pooling_mode_weightedmean_tokens": False, "pooling_mode_lasttoken": False, "include_prompt": True,
    }, indent=2) + "\n")
    # The bench builds its corpus from these (each one WordPiece token).
    (folder / "bench-words.txt").write_text("\n".join(words[4000:12000]) + "\n")


# --- decoder: Llama-shaped, ~39M parameters -----------------------------------------------------------


def bpe_tokenizer(folder: Path, words: list[str], rng: random.Random):
    """A byte-level BPE (GPT-2 / Llama 3 style) trained to 32k tokens on sentences of made-up words."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=32000, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False,
        special_tokens=["<unk>", "<s>", "</s>"],
    )
    corpus = [" ".join(rng.choice(words) for _ in range(12)) for _ in range(60000)]
    corpus += words * 3
    tok.train_from_iterator(corpus, trainer)
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in ("<unk>", "<s>", "</s>")])
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>", model_max_length=2048,
    )
    fast.save_pretrained(folder)
    return tok


def build_llama(words: list[str]) -> None:
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    seed(2)
    folder = OUT / "bench-llama"
    reset(folder)
    with tempfile.TemporaryDirectory() as tmp:
        hf = Path(tmp)
        tok = bpe_tokenizer(hf, words, random.Random(3))
        bos, eos = tok.token_to_id("<s>"), tok.token_to_id("</s>")
        config = LlamaConfig(
            vocab_size=tok.get_vocab_size(), hidden_size=512, num_hidden_layers=8, num_attention_heads=8,
            num_key_value_heads=2, intermediate_size=1408, max_position_embeddings=2048, rope_theta=10000.0,
            tie_word_embeddings=True, bos_token_id=bos, eos_token_id=eos, pad_token_id=eos,
        )
        model = LlamaForCausalLM(config).eval()
        params = sum(p.numel() for p in model.parameters())
        print(f"bench models: bench-llama has {params / 1e6:.1f}M parameters", file=sys.stderr)
        model.save_pretrained(hf)
        GenerationConfig(bos_token_id=bos, eos_token_id=eos, pad_token_id=eos).save_pretrained(hf)
        names = optimum_export(hf, "text-generation-with-past", folder)
        copy_metadata(hf, folder)
    for name in names:
        quantize(folder, name)


def main() -> None:
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    only = set(sys.argv[1:])
    OUT.mkdir(parents=True, exist_ok=True)
    words = made_up_words(40000, random.Random(0))
    steps = {"bench-minilm": build_minilm, "bench-llama": build_llama}
    for name, step in steps.items():
        if not only or name in only:
            print(f"bench models: {name}", file=sys.stderr)
            step(words)


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
