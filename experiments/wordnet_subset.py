#!/usr/bin/env python3
"""Random fixed-size subsets of the WordNet gloss tasks, as JSONL for data.task = text-file.

The files fix the exact examples of a short experiment, so every run and transformers' check of
an exported model (tests/hf/make_hf_fixture.py --check-export DIR --test FILE) see the same ones
(written when data.max_train_examples still took the first N glosses: all nouns). Same split rule as
src/lowbit/data/wordnet.h (bucket = splitmix64((letter << 32) | offset) % 10: 0-7 train, 9 test),
same texts (everything after the first '|', trimmed) and label names. Test examples whose label
the training sample lacks are dropped (reported), since a text-file task takes its label set from
the training file.

Usage: experiments/wordnet_subset.py TASK N_TRAIN N_TEST OUT_DIR [SEED]
  TASK: wordnet-supersense | wordnet-pos; writes OUT_DIR/{train,test}.jsonl
"""
import json
import os
import random
import sys

LEXNAMES = ("adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute "
            "noun.body noun.cognition noun.communication noun.event noun.feeling noun.food noun.group "
            "noun.location noun.motive noun.object noun.person noun.phenomenon noun.plant "
            "noun.possession noun.process noun.quantity noun.relation noun.shape noun.state "
            "noun.substance noun.time verb.body verb.change verb.cognition verb.communication "
            "verb.competition verb.consumption verb.contact verb.creation verb.emotion verb.motion "
            "verb.perception verb.possession verb.social verb.stative verb.weather adj.ppl").split()
POS = {"n": "noun", "v": "verb", "a": "adj", "s": "adj", "r": "adv"}
M = (1 << 64) - 1


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & M
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M
    return x ^ (x >> 31)


def examples(task, wordnet="/usr/share/wordnet"):
    for name, letter in (("noun", "n"), ("verb", "v"), ("adj", "a"), ("adv", "r")):
        with open(f"{wordnet}/data.{name}", encoding="utf-8") as f:
            for line in f:
                if line.startswith("  ") or "|" not in line:
                    continue
                fields = line.split()
                offset, lex, ss_type = int(fields[0]), int(fields[1]), fields[2]
                label = LEXNAMES[lex] if task == "wordnet-supersense" else POS[ss_type]
                bucket = splitmix64((ord(letter) << 32) | offset) % 10
                yield bucket, {"text": line.split("|", 1)[1].strip(), "label": label}


def main():
    task, n_train, n_test, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    seed = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    assert task in ("wordnet-supersense", "wordnet-pos"), task
    rng = random.Random(seed)
    train, test = [], []
    for bucket, ex in examples(task):
        (train if bucket <= 7 else test if bucket == 9 else []).append(ex)
    train = rng.sample(train, n_train)
    labels = {e["label"] for e in train}
    pool = [e for e in test if e["label"] in labels]
    test = rng.sample(pool, n_test)
    os.makedirs(out, exist_ok=True)
    for name, rows in (("train", train), ("test", test)):
        with open(os.path.join(out, f"{name}.jsonl"), "w", encoding="utf-8") as f:
            for e in rows:
                f.write(json.dumps(e, ensure_ascii=False) + "\n")
    print(f"{task}: {len(train)} train ({len(labels)} labels), {len(test)} test "
          f"(sampled from {len(pool)} test-split glosses with a seen label) -> {out}")


if __name__ == "__main__":
    main()
