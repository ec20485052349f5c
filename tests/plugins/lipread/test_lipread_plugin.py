"""The video plugin: reading videos, the frame pipeline, the lip-reading encoder, audio-visual data."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile
import torch
from PIL import Image

from multis2s.data.example import Example
from multis2s.errors import DataError
from multis2s_lipread.datasets import av_manifest_dataset
from multis2s_lipread.encoders import LipReadingEncoder
from multis2s_lipread.pipeline import VideoPipeline
from multis2s_lipread.video_io import frame_count, read_frames


def moving_bar(frames: int, size: int = 16) -> np.ndarray:
    """uint8 (T, size, size): a bright bar moving down one row per frame."""
    video = np.full((frames, size, size), 40, np.uint8)
    for t in range(frames):
        video[t, t % size] = 220
    return video


def write_mp4(path: Path, video: np.ndarray) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=25)
        stream.width, stream.height, stream.pix_fmt = video.shape[2], video.shape[1], "yuv420p"
        for frame in video:
            rgb = np.repeat(frame[..., None], 3, axis=2)
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def test_npy_frame_folders_and_video_files_read_alike(tmp_path):
    video = moving_bar(6)
    np.save(tmp_path / "v.npy", video)
    (tmp_path / "frames").mkdir()
    for t, frame in enumerate(video):
        Image.fromarray(frame).save(tmp_path / "frames" / f"{t:03d}.png")
    write_mp4(tmp_path / "v.mp4", video)
    from_npy = read_frames(tmp_path / "v.npy", mode="gray")
    from_folder = read_frames(tmp_path / "frames", mode="gray")
    from_file = read_frames(tmp_path / "v.mp4", mode="gray")
    assert from_npy.shape == from_folder.shape == from_file.shape == (6, 16, 16, 1)
    assert torch.equal(from_npy, from_folder)
    assert (from_file.float() - from_npy.float()).abs().mean() < 12  # lossy codec, same picture
    assert read_frames(tmp_path / "v.npy", mode="rgb").shape == (6, 16, 16, 3)
    assert [frame_count(tmp_path / name) for name in ("v.npy", "frames", "v.mp4")] == [6, 6, 6]


def bad_video(folder: Path, kind: str) -> Path:
    """A broken video file of the given kind."""
    path = folder / {"missing": "missing.npy", "garbage_npy": "bad.npy", "garbage_mp4": "bad.mp4",
                     "empty": "empty.npy", "float": "float.npy", "text": "v.txt"}[kind]
    if kind in ("garbage_npy", "garbage_mp4"):
        path.write_bytes(b"\x00not a video" * 8)
    elif kind == "empty":
        np.save(path, np.zeros((0, 8, 8), np.uint8))
    elif kind == "float":
        np.save(path, np.zeros((3, 8, 8)))
    elif kind == "text":
        path.write_text("x")
    return path


@pytest.mark.parametrize("kind, message", [
    ("missing", "video not found"), ("garbage_npy", "not a readable .npy video"),
    ("garbage_mp4", "not a readable video"), ("empty", "video has no frames"),
    ("float", "expected uint8 frames"), ("text", "unknown video format"),
])
def test_bad_videos_are_errors_naming_the_file(tmp_path, kind, message):
    path = bad_video(tmp_path, kind)
    with pytest.raises(DataError, match=message) as error:
        read_frames(path, mode="gray", origin="list.jsonl:7")
    assert str(error.value).startswith(f"list.jsonl:7: {path}")


def test_pipeline_crops_normalises_and_augments_only_in_training(tmp_path):
    np.save(tmp_path / "v.npy", moving_bar(10, size=20))
    example = Example(str(tmp_path / "v.npy"), "x", "m:1")
    plain = VideoPipeline(crop=(2, 4, 12, 8), frame_size=(6, 4))
    x = plain.load(example, train=False)
    assert x.shape == (10, 1, 6, 4)
    assert abs(float(x.mean())) < 1e-5 and abs(float(x.std()) - 1) < 1e-3
    flipping = VideoPipeline(crop=(2, 4, 12, 8), frame_size=(6, 4), augment=True, flip=1.0, max_shift=0,
                             jitter=0.0, time_masks=0)
    assert torch.equal(flipping.load(example, train=False), x)
    assert torch.equal(flipping.load(example, train=True), x.flip(3))
    augmenting = VideoPipeline(crop=(2, 4, 12, 8), frame_size=(6, 4), augment=True)
    assert torch.equal(augmenting.load(example, train=False), x)
    assert not torch.equal(augmenting.load(example, train=True), x)
    batch, lengths = plain.collate([x, x[:4]])
    assert batch.shape == (2, 10, 1, 6, 4) and lengths.tolist() == [10, 4]
    assert torch.all(batch[1, 4:] == 0)
    assert plain.length(example) == 10 and plain.length(Example("unused", "x", tags={"frames": 7})) == 7
    with pytest.raises(DataError, match=r"crop \[2, 4, 30, 8\] does not fit frames of 20x20"):
        VideoPipeline(crop=(2, 4, 30, 8)).load(example, train=False)


def test_pipeline_rejects_bad_options():
    with pytest.raises(ValueError, match="channels 'grey' is not one of"):
        VideoPipeline(channels="grey")
    with pytest.raises(ValueError, match="crop must be"):
        VideoPipeline(crop=(0, 0, 0, 4))
    with pytest.raises(ValueError, match="flip is a probability"):
        VideoPipeline(flip=2.0)


def small_encoder() -> LipReadingEncoder:
    torch.manual_seed(0)
    return LipReadingEncoder(input_channels=1, frontend_channels=4, trunk_channels=(4, 8), hidden_dim=6,
                             layers=1, dropout=0.0).eval()


def test_encoder_one_step_per_frame_and_padding_changes_nothing():
    encoder = small_encoder()
    videos = torch.randn(2, 9, 1, 12, 16)
    lengths = torch.tensor([9, 5])
    out = encoder(videos, lengths)
    assert out.memory.shape == (2, 9, 12) and encoder.output_dim == encoder.state_dim == 12
    assert out.memory_mask.tolist() == [[True] * 9, [True] * 5 + [False] * 4]
    assert torch.all(out.memory[1, 5:] == 0)
    garbage = videos.clone()
    garbage[1, 5:] = 3.0
    torch.testing.assert_close(encoder(garbage, lengths).memory, out.memory)
    alone = encoder(videos[1:, :5], lengths[1:])
    torch.testing.assert_close(alone.memory[0], out.memory[1, :5], atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(alone.final_state[0], out.final_state[1], atol=1e-5, rtol=1e-4)


def test_encoder_trains_its_batch_norm_on_real_frames_only():
    encoder = small_encoder().train()
    videos = torch.randn(2, 6, 1, 12, 16)
    videos[1, 3:] = 100.0  # padding: must not reach the running statistics
    encoder(videos, torch.tensor([6, 3]))
    assert float(encoder.frontend_norm[0].running_var.max()) < 10


def test_encoder_rejects_bad_options():
    with pytest.raises(ValueError, match="temporal_kernel must be odd"):
        LipReadingEncoder(input_channels=1, temporal_kernel=4)
    with pytest.raises(ValueError, match="trunk_channels needs at least one stage"):
        LipReadingEncoder(input_channels=1, trunk_channels=())


def av_files(folder: Path, name: str, frames: int, seconds: float) -> dict:
    np.save(folder / f"{name}.npy", moving_bar(frames))
    soundfile.write(folder / f"{name}.wav", np.zeros(int(seconds * 16000), np.float32), 16000)
    return {"video": f"{name}.npy", "audio": f"{name}.wav"}


def write_lines(path: Path, records: list) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n")
    return path


def test_av_manifest_gives_what_the_encoders_read(tmp_path):
    manifest = write_lines(tmp_path / "m.jsonl", [
        {**av_files(tmp_path, "a", 25, 1.0), "text": "bin blue", "speaker": "s1"},
        {"audio": av_files(tmp_path, "b", 10, 0.4)["audio"], "text": "set red"},
    ])
    both = av_manifest_dataset(train=str(manifest), streams={"audio": "audio", "video": "video"}).split("train")
    assert both[0].source == {"video": str(tmp_path / "a.npy"), "audio": str(tmp_path / "a.wav")}
    assert both[0].tags == {"frames": 25, "duration": 1.0, "speaker": "s1"}
    assert both[1].source == {"audio": str(tmp_path / "b.wav")}
    audio_only = av_manifest_dataset(train=str(manifest), streams={"source": "audio"}).split("train")
    assert [e.source for e in audio_only] == [{"source": str(tmp_path / "a.wav")}, {"source": str(tmp_path / "b.wav")}]
    with pytest.raises(DataError, match=rf"{manifest}:2: missing 'video' \(the file path\)"):
        av_manifest_dataset(train=str(manifest), streams={"source": "video"}).split("train")


def test_two_video_streams_read_two_cameras_or_share_the_video(tmp_path):
    files = av_files(tmp_path, "a", 25, 1.0)
    np.save(tmp_path / "side.npy", moving_bar(25))
    manifest = write_lines(tmp_path / "m.jsonl", [{**files, "cam_right": "side.npy", "text": "bin blue"}])
    cameras = av_manifest_dataset(train=str(manifest), streams={"cam_left": "video", "cam_right": "video"})
    (example,) = cameras.split("train")
    assert example.source == {"cam_left": str(tmp_path / "a.npy"), "cam_right": str(tmp_path / "side.npy")}


@pytest.mark.parametrize("record, message", [
    (lambda d: {**av_files(d, "x", 25, 1.0), "text": " "}, 'missing or empty "text"'),
    (lambda d: {**av_files(d, "x", 50, 1.0), "text": "a"}, r"lasts 2.00 s \(50 frames at 25 fps\) but audio"),
    (lambda d: {"video": "nowhere.npy", "audio": av_files(d, "x", 1, 1.0)["audio"], "text": "a"}, "video not found"),
    (lambda d: {"text": "a"}, "missing 'audio' or 'video' \\(the file path\\)"),
    (lambda d: "{not json", "not valid JSON"),
])
def test_bad_av_items_name_the_line_or_are_skipped_and_counted(tmp_path, capsys, record, message):
    good = {**av_files(tmp_path, "good", 25, 1.0), "text": "bin blue"}
    manifest = write_lines(tmp_path / "m.jsonl", [good, record(tmp_path)])
    with pytest.raises(DataError, match=message) as error:
        av_manifest_dataset(train=str(manifest)).split("train")
    assert str(error.value).startswith(f"{manifest}:2: ")
    kept = av_manifest_dataset(train=str(manifest), skip_bad=True).split("train")
    assert len(kept) == 1
    assert f"skipped 1 bad items of 2 in {manifest}" in capsys.readouterr().err
