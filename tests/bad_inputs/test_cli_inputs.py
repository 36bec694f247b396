"""Every command of `python -m gan_core` fed bad (and fine) flags and files, in one subprocess.

The cases run through `gan_core.cli.main` in one child process (tests/bad_inputs/cli_batch.py), each in
its own empty working directory, so "no file written outside --out" is checked by listing that directory.
A refusal must be exit code 2 with one `error:` line that names the problem; argparse's own refusals are
exit code 2 with its usage line; an accepted input gives the file it asks for and nothing else.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from campaign import CRASH, assert_clear_error, files_under, run_batch
from campaign_inputs import TRAIN, checkpoints, configs, data_dirs, digit_picture, png

NO_FILES: set = set()

M = ["--model", "{ckpt:good}"]
MC = ["--model", "{ckpt:conditional}"]

# (id, argv, expected): expected is ("error", fragment), ("usage", fragment) or ("ok", fragment, files written)
CASES = [
    # ---- sample: counts, pictures, outputs, models
    ("sample n zero", ["sample", *M, "--n", "0", "--out", "o.npy"], ("error", "--n must be at least 1")),
    ("sample n negative", ["sample", *M, "--n", "-5", "--out", "o.npy"], ("error", "--n must be at least 1")),
    (
        "sample n one billion",
        ["sample", *M, "--n", "1000000000", "--out", "o.npy"],
        ("error", "--n must be at most 10,000"),
    ),
    ("sample n 10001", ["sample", *M, "--n", "10001", "--out", "o.png"], ("error", "--n must be at most 10,000")),
    ("sample n text", ["sample", *M, "--n", "many", "--out", "o.npy"], ("usage", "invalid int value")),
    ("sample n float", ["sample", *M, "--n", "2.5", "--out", "o.npy"], ("usage", "invalid int value")),
    ("sample scale zero", ["sample", *M, "--scale", "0", "--out", "o.png"], ("error", "--scale must be at least 1")),
    (
        "sample scale 100000",
        ["sample", *M, "--scale", "100000", "--out", "o.png"],
        ("error", "--scale must be at most 32"),
    ),
    ("sample scale 33", ["sample", *M, "--scale", "33", "--out", "o.png"], ("error", "--scale must be at most 32")),
    (
        "sample picture too big",
        ["sample", *M, "--n", "10000", "--scale", "32", "--out", "o.png"],
        ("error", "megapixels"),
    ),
    ("sample seed negative", ["sample", *M, "--seed", "-1", "--out", "o.npy"], ("error", "--seed must be at least 0")),
    ("sample seed 2**64", ["sample", *M, "--seed", str(2**64), "--out", "o.npy"], ("error", "--seed must be at most")),
    ("sample out txt", ["sample", *M, "--out", "o.txt"], ("error", "--out must end in .npy or .png")),
    ("sample out no suffix", ["sample", *M, "--out", "grid"], ("error", "--out must end in .npy or .png")),
    ("sample out is a folder", ["sample", *M, "--out", "{inp}/a_folder.png"], ("error", "is a folder")),
    (
        "sample out under a file",
        ["sample", *M, "--out", "{inp}/a_file.txt/o.png"],
        ("error", "is a file, not a folder"),
    ),
    ("sample out missing", ["sample", *M], ("usage", "--out")),
    ("sample model missing", ["sample", "--model", "no-such-model", "--out", "o.npy"], ("error", "No checkpoint file")),
    ("sample model folder", ["sample", "--model", "{inp}", "--out", "o.npy"], ("error", "No checkpoint file")),
    ("sample model empty", ["sample", "--model", "{ckpt:empty}", "--out", "o.npy"], ("error", "too short")),
    (
        "sample model random",
        ["sample", "--model", "{ckpt:random_bytes}", "--out", "o.npy"],
        ("error", "not a safetensors"),
    ),
    ("sample model pickle", ["sample", "--model", "{ckpt:pickle}", "--out", "o.npy"], ("error", "never unpickles")),
    (
        "sample model torch.save",
        ["sample", "--model", "{ckpt:torch_save_zip}", "--out", "o.npy"],
        ("error", "never unpickles"),
    ),
    ("sample model int32", ["sample", "--model", "{ckpt:int32_weights}", "--out", "o.npy"], ("error", "wrong type")),
    (
        "sample model x1e30",
        ["sample", "--model", "{ckpt:weights_x1e30}", "--out", "o.npy"],
        ("error", "not those of a trained network"),
    ),
    (
        "sample model negative var",
        ["sample", "--model", "{ckpt:negative_running_var}", "--out", "o.npy"],
        ("error", "has values <= 0"),
    ),
    (
        "sample model info list",
        ["sample", "--model", "{ckpt:info_list}", "--out", "o.npy"],
        ("error", "info must be a JSON object"),
    ),
    (
        "sample model steps abc",
        ["sample", "--model", "{ckpt:info_steps_abc}", "--out", "o.npy"],
        ("error", "info.steps must be a whole number"),
    ),
    ("sample label unconditional", ["sample", *M, "--label", "3", "--out", "o.npy"], ("error", "neither conditional")),
    ("sample label 12", ["sample", *MC, "--label", "12", "--out", "o.npy"], ("error", "Labels must be in 0..9")),
    (
        "sample label negative",
        ["sample", *MC, "--label", "-1", "--out", "o.npy"],
        ("error", "--label must be at least 0"),
    ),
    ("sample npy", ["sample", *M, "--n", "5", "--out", "o.npy"], ("ok", "wrote 5 samples", {"o.npy"})),
    ("sample png in a new folder", ["sample", *M, "--n", "4", "--out", "new/o.png"], ("ok", "wrote 4", {"new/o.png"})),
    (
        "sample conditional label",
        ["sample", *MC, "--label", "7", "--n", "3", "--out", "o.png"],
        ("ok", "wrote 3", {"o.png"}),
    ),
    ("sample n 10000 npy", ["sample", *M, "--n", "10000", "--out", "o.npy"], ("ok", "wrote 10000", {"o.npy"})),
    (
        "sample float16 model",
        ["sample", "--model", "{ckpt:float16_weights}", "--out", "o.npy"],
        ("ok", "wrote 64", {"o.npy"}),
    ),
    (
        "sample float64 model",
        ["sample", "--model", "{ckpt:float64_weights}", "--out", "o.npy"],
        ("ok", "wrote 64", {"o.npy"}),
    ),
    # ---- directions
    (
        "directions frames zero",
        ["directions", *M, "--frames", "0", "--out", "d.png"],
        ("error", "--frames must be at least 2"),
    ),
    (
        "directions frames one",
        ["directions", *M, "--frames", "1", "--out", "d.png"],
        ("error", "--frames must be at least 2"),
    ),
    (
        "directions frames huge",
        ["directions", *M, "--frames", "100000000", "--out", "d.png"],
        ("error", "--frames must be at most 64"),
    ),
    ("directions k zero", ["directions", *M, "--k", "0", "--out", "d.png"], ("error", "--k must be at least 1")),
    ("directions k 1000", ["directions", *M, "--k", "1000", "--out", "d.png"], ("error", "--k must be at most 64")),
    ("directions n one", ["directions", *M, "--n", "1", "--out", "d.png"], ("error", "--n must be at least 2")),
    ("directions n huge", ["directions", *M, "--n", "999999999", "--out", "d.png"], ("error", "--n must be at most")),
    (
        "directions scale huge",
        ["directions", *M, "--scale", "5000", "--out", "d.png"],
        ("error", "--scale must be at most"),
    ),
    (
        "directions picture too big",
        ["directions", *M, "--k", "64", "--frames", "64", "--scale", "32", "--out", "d.png"],
        ("error", "megapixels"),
    ),
    ("directions out jpg", ["directions", *M, "--out", "d.jpg"], ("error", "--out must end in .png")),
    (
        "directions",
        ["directions", *M, "--k", "2", "--frames", "3", "--n", "50", "--out", "d.png"],
        ("ok", "wrote 2 sweeps", {"d.png"}),
    ),
    # ---- invert
    ("invert image missing", ["invert", *M, "--image", "nothing.png", "--out", "z.json"], ("error", "No image file")),
    ("invert image folder", ["invert", *M, "--image", "{inp}", "--out", "z.json"], ("error", "No image file")),
    ("invert image text", ["invert", *M, "--image", "{inp}/a_file.txt", "--out", "z.json"], ("error", "not a picture")),
    ("invert image empty", ["invert", *M, "--image", "{inp}/empty.png", "--out", "z.json"], ("error", "empty")),
    (
        "invert image 11 MB",
        ["invert", *M, "--image", "{inp}/eleven_mb.png", "--out", "z.json"],
        ("error", "MB; pictures over 10 MB"),
    ),
    (
        "invert image 6300 RGBA",
        ["invert", *M, "--image", "{inp}/big_rgba.png", "--out", "z.json"],
        ("error", "megapixels"),
    ),
    ("invert image blank", ["invert", *M, "--image", "{inp}/blank.png", "--out", "z.json"], ("error", "looks blank")),
    (
        "invert out txt",
        ["invert", *M, "--image", "{inp}/digit.png", "--out", "z.txt"],
        ("error", "--out must end in .json"),
    ),
    (
        "invert recon jpg",
        ["invert", *M, "--image", "{inp}/digit.png", "--out", "z.json", "--recon", "r.jpg"],
        ("error", "--recon must end in .png"),
    ),
    (
        "invert seconds zero",
        ["invert", *M, "--image", "{inp}/digit.png", "--out", "z.json", "--seconds", "0"],
        ("error", "--seconds must be above 0"),
    ),
    (
        "invert seconds huge",
        ["invert", *M, "--image", "{inp}/digit.png", "--out", "z.json", "--seconds", "1e9"],
        ("error", "at most 600"),
    ),
    (
        "invert seconds nan",
        ["invert", *M, "--image", "{inp}/digit.png", "--out", "z.json", "--seconds", "nan"],
        ("error", "--seconds must be a number of seconds"),
    ),
    (
        "invert label unconditional",
        ["invert", *M, "--image", "{inp}/digit.png", "--out", "z.json", "--label", "1"],
        ("error", "neither conditional"),
    ),
    (
        "invert",
        ["invert", *M, "--image", "{inp}/digit.png", "--out", "z.json", "--recon", "r.png", "--seconds", "0.3"],
        ("ok", "found z", {"z.json", "r.png"}),
    ),
    # ---- evaluate, classifier, augment: refused before any work
    ("evaluate n one", ["evaluate", *M, "--n", "1"], ("error", "--n must be at least 2")),
    ("evaluate n billion", ["evaluate", *M, "--n", "1000000000"], ("error", "--n must be at most 20,000")),
    ("evaluate draws zero", ["evaluate", *M, "--draws", "0"], ("error", "--draws must be at least 1")),
    ("evaluate draws 1000", ["evaluate", *M, "--draws", "1000"], ("error", "--draws must be at most 20")),
    ("evaluate model missing", ["evaluate", "--model", "nope"], ("error", "No checkpoint file")),
    ("evaluate data dir missing", ["evaluate", *M, "--data-dir", "{data:missing}"], ("error", "does not exist")),
    (
        "classifier epochs zero",
        ["classifier", "train", "--epochs", "0", "--out", "c.safetensors"],
        ("error", "--epochs must be at least 1"),
    ),
    (
        "classifier epochs huge",
        ["classifier", "train", "--epochs", "100000", "--out", "c.safetensors"],
        ("error", "--epochs must be at most 200"),
    ),
    ("classifier out pt", ["classifier", "train", "--out", "c.pt"], ("error", "--out must end in .safetensors")),
    (
        "classifier data dir a file",
        ["classifier", "train", "--data-dir", "{data:a_file}", "--out", "c.safetensors"],
        ("error", "is a file, not a folder"),
    ),
    ("augment real 5", ["augment", "--real", "5"], ("error", "--real must be at least 10")),
    ("augment seeds zero", ["augment", "--seeds", "0"], ("error", "--seeds must be at least 1")),
    ("augment seeds 1000", ["augment", "--seeds", "1000"], ("error", "--seeds must be at most 20")),
    ("augment test billion", ["augment", "--test", "1000000000"], ("error", "--test must be at most")),
    ("augment data dir empty", ["augment", "--data-dir", "{data:empty}"], ("error", "holds no MNIST")),
    ("unknown command", ["paint"], ("usage", "invalid choice")),
    ("no command", [], ("usage", "required")),
    ("presets", ["presets"], ("ok", None, NO_FILES)),
    ("pretrained", ["pretrained"], ("ok", None, NO_FILES)),
    # ---- train: refused before any training
    (
        "set spectral_norm maybe",
        [*TRAIN, "--set", "spectral_norm=maybe", "--out", "r.safetensors"],
        ("error", "spectral_norm is on or off"),
    ),
    (
        "set lr_decay sometimes",
        [*TRAIN, "--set", "lr_decay=sometimes", "--out", "r.safetensors"],
        ("error", "lr_decay is on or off"),
    ),
    ("set preset 5", [*TRAIN, "--set", "preset=5", "--out", "r.safetensors"], ("error", "use --preset NAME")),
    (
        "set unknown field",
        [*TRAIN, "--set", "colour=blue", "--out", "r.safetensors"],
        ("error", "Unknown config field 'colour'"),
    ),
    ("set lr text", [*TRAIN, "--set", "lr_g=fast", "--out", "r.safetensors"], ("error", "lr_g must be a number")),
    (
        "set latent fraction",
        [*TRAIN, "--set", "latent_dim=1.5", "--out", "r.safetensors"],
        ("error", "latent_dim must be a whole number"),
    ),
    ("set lr nan", [*TRAIN, "--set", "lr_g=nan", "--out", "r.safetensors"], ("error", "lr_g must be a finite number")),
    ("set lr inf", [*TRAIN, "--set", "lr_d=inf", "--out", "r.safetensors"], ("error", "lr_d must be a finite number")),
    (
        "set batch zero",
        [*TRAIN, "--set", "batch_size=0", "--out", "r.safetensors"],
        ("error", "batch_size must be a whole number from 2"),
    ),
    (
        "set without equals",
        [*TRAIN, "--set", "spectral_norm", "--out", "r.safetensors"],
        ("error", "--set takes FIELD=VALUE"),
    ),
    ("set without field", [*TRAIN, "--set", "=3", "--out", "r.safetensors"], ("error", "--set takes FIELD=VALUE")),
    ("set arch unknown", [*TRAIN, "--set", "arch=resnet", "--out", "r.safetensors"], ("error", "arch must be one of")),
    (
        "keep snapshots negative",
        [*TRAIN, "--keep-snapshots", "-1", "--out", "r.safetensors"],
        ("error", "--keep-snapshots must be at least 0"),
    ),
    (
        "keep snapshots 1000",
        [*TRAIN, "--keep-snapshots", "1000", "--out", "r.safetensors"],
        ("error", "--keep-snapshots must be at most 64"),
    ),
    ("threads zero", [*TRAIN, "--threads", "0", "--out", "r.safetensors"], ("error", "--threads must be at least 1")),
    (
        "threads negative",
        [*TRAIN, "--threads", "-3", "--out", "r.safetensors"],
        ("error", "--threads must be at least 1"),
    ),
    (
        "seconds negative",
        ["train", "--seconds", "-1", "--out", "r.safetensors"],
        ("error", "--seconds must be a number of seconds"),
    ),
    (
        "seconds nan",
        ["train", "--seconds", "nan", "--out", "r.safetensors"],
        ("error", "--seconds must be a number of seconds"),
    ),
    ("steps zero", ["train", "--steps", "0", "--out", "r.safetensors"], ("error", "--steps must be at least 1")),
    (
        "steps 10**12",
        ["train", "--steps", "1000000000000", "--out", "r.safetensors"],
        ("error", "--steps must be at most"),
    ),
    (
        "quality every negative",
        [*TRAIN, "--quality-every", "-5", "--out", "r.safetensors"],
        ("error", "--quality-every must be 0 (off)"),
    ),
    (
        "quality n one",
        [*TRAIN, "--quality-n", "1", "--out", "r.safetensors"],
        ("error", "--quality-n must be at least 2"),
    ),
    ("train out pt", [*TRAIN, "--out", "r.pt"], ("error", "--out must end in .safetensors")),
    ("train out folder", [*TRAIN, "--out", "{inp}/a_folder.safetensors"], ("error", "is a folder")),
    (
        "train out under a file",
        [*TRAIN, "--out", "{inp}/a_file.txt/r.safetensors"],
        ("error", "is a file, not a folder"),
    ),
    ("train preset unknown", ["train", "--preset", "gan9000", "--out", "r.safetensors"], ("usage", "invalid choice")),
    ("train device cuda", [*TRAIN, "--device", "cuda", "--out", "r.safetensors"], ("error", "CUDA")),
    (
        "config missing",
        ["train", "--config", "nothing.json", "--out", "r.safetensors"],
        ("error", "Cannot read the config file"),
    ),
    (
        "config folder",
        ["train", "--config", "{inp}", "--out", "r.safetensors"],
        ("error", "Cannot read the config file"),
    ),
    ("config empty", ["train", "--config", "{cfg:empty}", "--out", "r.safetensors"], ("error", "not valid JSON")),
    (
        "config nested 60 kB",
        ["train", "--config", "{cfg:nested_60kB}", "--out", "r.safetensors"],
        ("error", "nests 60000 levels"),
    ),
    (
        "config nested in a field",
        ["train", "--config", "{cfg:nested_in_field}", "--out", "r.safetensors"],
        ("error", "levels deep"),
    ),
    ("config not json", ["train", "--config", "{cfg:not_json}", "--out", "r.safetensors"], ("error", "not valid JSON")),
    ("config not utf8", ["train", "--config", "{cfg:not_utf8}", "--out", "r.safetensors"], ("error", "not text")),
    (
        "config array",
        ["train", "--config", "{cfg:array}", "--out", "r.safetensors"],
        ("error", "must be a JSON object"),
    ),
    (
        "config number",
        ["train", "--config", "{cfg:number}", "--out", "r.safetensors"],
        ("error", "must be a JSON object"),
    ),
    (
        "config huge",
        ["train", "--config", "{cfg:huge}", "--out", "r.safetensors"],
        ("error", "a config.json is a few hundred bytes"),
    ),
    (
        "config run list",
        ["train", "--config", "{cfg:run_list}", "--out", "r.safetensors"],
        ("error", '"run" must be an object'),
    ),
    (
        "config data text",
        ["train", "--config", "{cfg:data_text}", "--out", "r.safetensors"],
        ("error", '"data" must be an object'),
    ),
    (
        "config threads -4",
        ["train", "--config", "{cfg:threads_minus_4}", "--out", "r.safetensors"],
        ("error", "run.torch_threads must be a whole number of at least 1"),
    ),
    (
        "config threads text",
        ["train", "--config", "{cfg:threads_text}", "--out", "r.safetensors"],
        ("error", "run.torch_threads"),
    ),
    (
        "config threads true",
        ["train", "--config", "{cfg:threads_bool}", "--out", "r.safetensors"],
        ("error", "run.torch_threads"),
    ),
    (
        "config spectral_norm no",
        ["train", "--config", "{cfg:spectral_norm_no}", "--out", "r.safetensors"],
        ("error", "spectral_norm must be true or false; got 'no'"),
    ),
    (
        "config lr_decay text",
        ["train", "--config", "{cfg:lr_decay_text}", "--out", "r.safetensors"],
        ("error", "lr_decay must be true or false"),
    ),
    (
        "config conditional 1",
        ["train", "--config", "{cfg:conditional_number}", "--out", "r.safetensors"],
        ("error", "conditional must be true or false"),
    ),
    (
        "config preset number",
        ["train", "--config", "{cfg:preset_number}", "--out", "r.safetensors"],
        ("error", "preset must be text"),
    ),
    (
        "config arch number",
        ["train", "--config", "{cfg:arch_number}", "--out", "r.safetensors"],
        ("error", "arch must be"),
    ),
    (
        "config latent text",
        ["train", "--config", "{cfg:latent_text}", "--out", "r.safetensors"],
        ("error", "latent_dim must be a whole"),
    ),
    (
        "config lr text",
        ["train", "--config", "{cfg:lr_text}", "--out", "r.safetensors"],
        ("error", "lr_g must be a finite number"),
    ),
    (
        "config lr list",
        ["train", "--config", "{cfg:lr_list}", "--out", "r.safetensors"],
        ("error", "lr_g must be a finite number"),
    ),
    ("config batch zero", ["train", "--config", "{cfg:batch_zero}", "--out", "r.safetensors"], ("error", "batch_size")),
    (
        "config unknown field",
        ["train", "--config", "{cfg:unknown_field}", "--out", "r.safetensors"],
        ("error", "colour"),
    ),
    (
        "config wrong format",
        ["train", "--config", "{cfg:wrong_format}", "--out", "r.safetensors"],
        ("error", "Unknown config format"),
    ),
    (
        "config not an object",
        ["train", "--config", "{cfg:config_not_object}", "--out", "r.safetensors"],
        ("error", 'no "config" object'),
    ),
    (
        "data dir missing",
        [*TRAIN, "--data-dir", "{data:missing}", "--out", "r.safetensors"],
        ("error", "does not exist"),
    ),
    (
        "data dir a file",
        [*TRAIN, "--data-dir", "{data:a_file}", "--out", "r.safetensors"],
        ("error", "is a file, not a folder"),
    ),
    ("data dir empty", [*TRAIN, "--data-dir", "{data:empty}", "--out", "r.safetensors"], ("error", "holds no MNIST")),
    (
        "data dir unrelated files",
        [*TRAIN, "--data-dir", "{data:unrelated_files}", "--out", "r.safetensors"],
        ("error", "holds no MNIST"),
    ),
    (
        "data dir images only",
        [*TRAIN, "--data-dir", "{data:images_only}", "--out", "r.safetensors"],
        ("error", "holds no MNIST"),
    ),
    (
        "data dir gzip bomb",
        [*TRAIN, "--data-dir", "{data:gzip_bomb}", "--out", "r.safetensors"],
        ("error", "bytes of pixels"),
    ),
    (
        "data dir padded",
        [*TRAIN, "--data-dir", "{data:padded_bomb}", "--out", "r.safetensors"],
        ("error", "truncated or padded"),
    ),
    (
        "data dir truncated gz",
        [*TRAIN, "--data-dir", "{data:truncated_gz}", "--out", "r.safetensors"],
        ("error", "could not be read"),
    ),
    (
        "data dir bad magic",
        [*TRAIN, "--data-dir", "{data:bad_magic}", "--out", "r.safetensors"],
        ("error", "bad magic"),
    ),
    (
        "data dir not gzip",
        [*TRAIN, "--data-dir", "{data:not_gzip}", "--out", "r.safetensors"],
        ("error", "could not be read as gzip"),
    ),
    ("data dir 27x27", [*TRAIN, "--data-dir", "{data:wrong_size}", "--out", "r.safetensors"], ("error", "not 28x28")),
    ("data dir label 12", [*TRAIN, "--data-dir", "{data:label_12}", "--out", "r.safetensors"], ("error", "10 classes")),
    (
        "init missing",
        [*TRAIN, "--init", "nothing.safetensors", "--out", "r.safetensors"],
        ("error", "No checkpoint file"),
    ),
    ("init without D", [*TRAIN, "--init", "{ckpt:no_d}", "--out", "r.safetensors"], ("error", "kept no discriminator")),
    (
        "init x1e30",
        [*TRAIN, "--init", "{ckpt:weights_x1e30}", "--out", "r.safetensors"],
        ("error", "not those of a trained"),
    ),
    # ---- train: accepted, with the meaning the words have
    (
        "set spectral_norm no",
        [*TRAIN, "--set", "spectral_norm=no", "--out", "r.safetensors"],
        ("ok", "saved:", {"r.safetensors"}),
        {"spectral_norm": False},
    ),
    (
        "set spectral_norm YES",
        [*TRAIN, "--set", "spectral_norm=YES", "--out", "r.safetensors"],
        ("ok", "saved:", {"r.safetensors"}),
        {"spectral_norm": True},
    ),
    (
        "set lr_decay False",
        [*TRAIN, "--set", "lr_decay=False", "--out", "r.safetensors"],
        ("ok", "saved:", {"r.safetensors"}),
        {"lr_decay": False},
    ),
    (
        "set lr_decay 1",
        [*TRAIN, "--set", "lr_decay=1", "--out", "r.safetensors"],
        ("ok", "saved:", {"r.safetensors"}),
        {"lr_decay": True},
    ),
    (
        "set lr 1e-4",
        [*TRAIN, "--set", "lr_g=1e-4", "--out", "r.safetensors"],
        ("ok", "saved:", {"r.safetensors"}),
        {"lr_g": 1e-4},
    ),
    (
        "threads 5000",
        [*TRAIN, "--threads", "5000", "--out", "r.safetensors"],
        ("ok", "more than the", {"r.safetensors"}),
    ),
    (
        "config threads 100000",
        ["train", "--config", "{cfg:threads_100000}", "--quiet", "--out", "r.safetensors"],
        ("ok", "run.torch_threads is 100,000, more than the", {"r.safetensors"}),
    ),
    (
        "config good",
        ["train", "--config", "{cfg:good}", "--quiet", "--out", "deep/er/r.safetensors"],
        ("ok", "saved:", {"deep/er/r.safetensors"}),
    ),
    (
        "keep snapshots 0",
        [*TRAIN, "--keep-snapshots", "0", "--out", "r.safetensors"],
        ("ok", "saved:", {"r.safetensors"}),
    ),
    (
        "data dir good",
        [*TRAIN, "--data-dir", "{data:good}", "--out", "r.safetensors"],
        ("ok", "200 test", {"r.safetensors"}),
    ),
    (
        "data dir raw layout",
        [*TRAIN, "--data-dir", "{data:good_raw_layout}", "--no-offline-digits", "--out", "r.safetensors"],
        ("ok", "200 test", {"r.safetensors"}),
    ),
    ("init good", [*TRAIN, "--init", "{ckpt:good}", "--out", "r.safetensors"], ("ok", "init:", {"r.safetensors"})),
]


def _resolve(argv: list[str], places: dict) -> list[str]:
    def sub(match):
        kind, _, name = match.group(1).partition(":")
        return str(places[kind][name] if name else places[kind])

    return [re.sub(r"\{([a-z]+(?::[A-Za-z0-9_]+)?)\}", sub, a) for a in argv]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory, mnist):
    """Every case of CASES run once, in one child process; {id: result, "_work": folder}."""
    base = tmp_path_factory.mktemp("cli-inputs")
    inp = base / "inputs"
    inp.mkdir()
    (inp / "a_folder.png").mkdir()
    (inp / "a_folder.safetensors").mkdir()
    (inp / "a_file.txt").write_text("plain text, not a picture")
    (inp / "empty.png").write_bytes(b"")
    (inp / "eleven_mb.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(11 * 1024 * 1024))
    (inp / "digit.png").write_bytes(png(digit_picture(mnist)))
    from PIL import Image

    (inp / "blank.png").write_bytes(png(Image.new("L", (300, 200), 245)))
    from campaign_inputs import big_rgba_png

    (inp / "big_rgba.png").write_bytes(big_rgba_png())
    places = {
        "inp": inp,
        "ckpt": checkpoints(base / "ckpt"),
        "cfg": configs(base / "cfg"),
        "data": data_dirs(base / "data", mnist),
    }
    jobs = []
    for case in CASES:
        cwd = base / "work" / re.sub(r"[^a-z0-9]+", "-", case[0].lower())
        cwd.mkdir(parents=True)
        jobs.append({"id": case[0], "argv": _resolve(case[1], places), "cwd": str(cwd)})
    (base / "tmp").mkdir()
    got = run_batch(jobs, base, {"TMPDIR": str(base / "tmp")})
    got["_tmp"] = base / "tmp"
    return got


def test_the_cases_are_distinct():
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids))
    assert len({json.dumps(c[1]) for c in CASES}) == len(CASES)


@pytest.mark.bad_input
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_cli_input(case, outcomes):
    r = outcomes[case[0]]
    expected = case[2]
    written = files_under(Path(r["cwd"]))
    assert r.get("crash") is None, f"{CRASH}: {r['crash']}"
    assert "Traceback" not in r["stderr"], f"{CRASH}: {r['stderr']}"
    assert r.get("rss_growth_mb", 0) < 500, f"{case[0]} grew the process by {r['rss_growth_mb']} MB"
    if expected[0] == "error":
        assert_clear_error(r["rc"], r["stderr"], expected[1])
        assert written == NO_FILES
    elif expected[0] == "usage":
        assert r["rc"] == 2, r["stderr"]
        assert "usage:" in r["stderr"]
        assert expected[1] in r["stderr"]
        assert written == NO_FILES
    else:
        assert r["rc"] == 0, r["stderr"]
        if expected[1]:
            assert expected[1] in r["stderr"] + r["stdout"]
        assert written == expected[2]
    if len(case) > 3:  # the saved run's config holds what the words meant
        from gan_core import load_checkpoint

        cfg = load_checkpoint(Path(r["cwd"]) / "r.safetensors").config
        for field, value in case[3].items():
            assert getattr(cfg, field) == value, field


def test_nothing_was_rescued_when_every_disk_had_room(outcomes):
    assert list(outcomes["_tmp"].glob("gan-classroom-unsaved-*")) == []
