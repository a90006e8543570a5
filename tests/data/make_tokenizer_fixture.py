# Makes tokenizer_fixture.jsonl: WordNet glosses and tricky strings as Hugging Face's BertTokenizer
# (transformers 4.x, the Python "slow" tokenizer) tokenizes them with the MiniLM vocabulary.
# Run from anywhere: python3 tests/data/make_tokenizer_fixture.py   (needs scripts/fetch_pretrained.sh
# to have run; creates .venv-fixture/ in the repository with transformers and re-runs itself there).
#
# Lines: {"text", "tokens" (the words handed to WordPiece), "ids"} for single texts and
# {"a", "b", "max_length", "ids", "segments", "mask"} for encodings with truncation="longest_first".
# The fast (Rust) tokenizer is run too and disagreements are reported on stderr: the C++ side
# follows the slow one, which the C++ tokenizer.h names as its reference.
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV = os.path.join(ROOT, ".venv-fixture")
VENV_PY = os.path.join(VENV, "bin", "python")

if os.path.realpath(sys.prefix) != os.path.realpath(VENV):
    if not os.path.exists(VENV_PY):
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
        subprocess.check_call([VENV_PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                               "transformers>=4.40,<5"])
    os.execv(VENV_PY, [VENV_PY, os.path.abspath(__file__)] + sys.argv[1:])

import transformers  # noqa: E402
from transformers import BertTokenizer, BertTokenizerFast  # noqa: E402

pretrained = os.environ.get("LOWBIT_PRETRAINED_DIR", os.path.join(ROOT, ".cache", "pretrained"))
VOCAB = os.path.join(pretrained, "all-MiniLM-L6-v2", "vocab.txt")
if not os.path.exists(VOCAB):
    sys.exit(f"{VOCAB} is missing: run scripts/fetch_pretrained.sh first")
WORDNET = "/usr/share/wordnet"
OUT = os.path.join(ROOT, "tests", "data", "tokenizer_fixture.jsonl")

slow = BertTokenizer(VOCAB, do_lower_case=True)
fast = BertTokenizerFast(VOCAB, do_lower_case=True)


def glosses(path, every):
    """Every `every`-th gloss of a WordNet data file, in file order (same rule as wordnet.cpp)."""
    out = []
    with open(path, encoding="utf-8") as f:
        n = 0
        for line in f:
            if line.startswith("  ") or "|" not in line:
                continue
            if n % every == 0:
                out.append(line.split("|", 1)[1].strip())
            n += 1
    return out


texts = []
for name, every in (("noun", 2053), ("verb", 459), ("adj", 605), ("adv", 121)):
    texts += glosses(os.path.join(WORDNET, "data." + name), every)[:25]

# Each targets one rule of tokenizer.h (only what its Unicode coverage claims).
texts += [
    "Café au lait", "naïve façade résumé Noël", "Ångström ÀÉÎÕÜ straße", "Œuvre æsthetic Ørsted Łódź Đuro",
    "İstanbul ılık", "Ǆemal ǅ ǆ", "Tiếng Việt Nguyễn", "µ micro ª º ¿qué? ¡sí!",
    "Ελληνικά ΟΔΟΣ σοφός ΣΑΣ. Σ ΑΣ'Β ᾈ ῼ ά", "Москва Ёжик йогурт ЇЖАК", "Հայերեն ՀԱՅ",
    "Hello, world! (test) [x] {y} <z> a-b a_b a/b a\\b", "e.g. U.S.A. 3.14 1,000,000 $5 50% #hash @at",
    "^caret `tick ~tilde |pipe +plus =eq ;semi", "don't won't it's rock'n'roll",
    "\u201csmart quotes\u201d \u2018single\u2019 \u2014 em\u2013dash \u2026 \u00abguillemets\u00bb \u00a7 \u00b6",
    "supercalifragilisticexpialidocious antidisestablishmentarianism", "a" * 100, "b" * 101,
    "pneumonoultramicroscopicsilicovolcanoconiosis is long", "numbers 12345 1st 2nd 3rd 1990s 0.5 -7",
    "中文字符 and 日本語のテキスト", "한국어 텍스트 안녕", "がぎぐ ぱぴぷ ガギグ パピプ ヴ ゞ",
    "tab\there new\nline cr\r\nlf", "\u00a0nbsp\u2009thin\u3000ideographic\u202fnarrow",
    "zero\u200bwidth soft\u00adhyphen bom\ufeff", "control\x01\x7f\x9fchars nul\x00byte",
    "e\u0301 combining a\u0308 o\u0302\u0323", "ＦＵＬＬ ｗｉｄｔｈ！ ＡＢＣ", "Ⅻ roman ⅷ Ⓐ circled",
    "\u2126 \u212a \u212b signs", "emoji \U0001F600 \U0001F389 ok", "https://example.com/path?q=1&r=2#frag",
    "a.b@c.de", "", "   ", "...", "!!!???", "x" * 30 + "ing", "unaffable", "snowboarding", "ＧＰＵ",
]

pairs = [
    ("a short gloss", "", 16),
    ("a very long first text that certainly will not fit into the budget at all", "tiny", 12),
    ("tiny", "a very long second text that certainly will not fit into the budget at all", 12),
    ("one two three four five six", "seven eight nine ten eleven twelve", 11),
    ("one two three four five six", "seven eight nine ten eleven twelve", 10),
    ("one two three", "four five six", 20),
    ("one two three", "four five six", 5),
    ("Café, résumé!", "naïve façade.", 9),
    ("a b c d e f g h", "", 6),
    ("", "only the second text", 8),
    ("first text", "   ", 10),
    (texts[0], texts[30], 32),
]

mismatch = 0
with open(OUT, "w", encoding="utf-8", newline="\n") as out:
    for t in texts:
        ids = slow.encode(t, add_special_tokens=False)
        if fast.encode(t, add_special_tokens=False) != ids:
            mismatch += 1
            print(f"fast tokenizer differs on {t!r}", file=sys.stderr)
        # BertTokenizer.tokenize lowercases one character at a time (a regex over ".+?") before
        # BasicTokenizer runs; doing the same here keeps "tokens" the words WordPiece really sees.
        tokens = slow.basic_tokenizer.tokenize("".join(c.lower() for c in t))
        out.write(json.dumps({"text": t, "tokens": tokens, "ids": ids}, ensure_ascii=False) + "\n")
    for a, b, n in pairs:
        enc = slow(a, b if b else None, truncation="longest_first", max_length=n, padding="max_length")
        out.write(json.dumps({"a": a, "b": b, "max_length": n, "ids": enc["input_ids"],
                              "segments": enc["token_type_ids"], "mask": enc["attention_mask"]},
                             ensure_ascii=False) + "\n")
print(f"wrote {OUT}: {len(texts)} texts, {len(pairs)} pairs (transformers {transformers.__version__}; "
      f"fast tokenizer differs on {mismatch})", file=sys.stderr)
