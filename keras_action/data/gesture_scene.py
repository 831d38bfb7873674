"""Rendering of the realistic synthetic gestures (see `keras_action.data.synthetic`).

A clip is a hand-like shape (palm, four fingers and a thumb) performing one of
the motions in front of a cluttered scene: a textured background (procedural,
or frames of real videos) with static objects, a camera that drifts and
shakes, objects moving across, lighting that changes, motion and defocus blur,
sensor noise. Everything but the gesture is drawn from time-symmetric
distributions (random directions, random signs), so a clip played backwards
is as likely as the clip itself, except for the gesture.
"""

import dataclasses
import math
from pathlib import Path

import cv2
import numpy as np

from keras_action.data.errors import VideoDecodeError

#: Skin tones (BGR); a hand is one of these or, sometimes, a glove colour.
_SKIN = np.array(
    [[140, 170, 225], [110, 145, 200], [80, 115, 170], [60, 85, 130], [170, 195, 235]],
    np.float32,
)
#: Extended (1) or curled (0) fingers, index to little finger, then the thumb,
#: per gesture: as in Jester, the pairs differ in hand shape (swiping with the
#: open hand, pointing up or down, two fingers zooming, a thumb turning), and
#: the two gestures of a pair only in their direction.
HAND_SHAPES = {
    "move_x": (1, 1, 1, 1, 1),
    "move_y": (1, 0, 0, 0, 0),
    "grow": (1, 1, 0, 0, 0),
    "turn": (0, 0, 0, 0, 1),
}
_VIDEO_SUFFIXES = (".mp4", ".mkv", ".webm", ".avi", ".mov")
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


@dataclasses.dataclass(frozen=True)
class Difficulty:
    """How hard the realistic clips are; see `DIFFICULTIES` for the presets.

    Sizes are fractions of the frame height, travel of the frame width (x)
    or height (y); ranges are `(min, max)` drawn uniformly per clip.

    Args:
        hand_size: palm-to-fingertip length of the hand.
        travel: distance the hand moves in "move" gestures.
        growth: final/initial size ratio of the "grow" gestures.
        turn: angle in degrees of the "turn" gestures.
        pause: most of the clip (each end) in which the hand holds still.
        static_objects: most static objects drawn onto the background.
        moving_objects: most objects crossing the scene.
        camera_shake: pixels of random camera jitter per frame.
        camera_drift: most pixels the camera pans over a clip.
        lighting: most relative brightness change over a clip.
        noise: most standard deviation of the sensor noise, in pixel levels.
        blur: most defocus blur (Gaussian sigma in pixels).
        glove: probability that the hand is a random colour, not a skin tone.
    """

    hand_size: tuple = (0.5, 0.65)
    travel: tuple = (0.3, 0.45)
    growth: tuple = (1.6, 2.0)
    turn: tuple = (90.0, 150.0)
    pause: float = 0.15
    static_objects: int = 5
    moving_objects: int = 1
    camera_shake: float = 0.5
    camera_drift: float = 3.0
    lighting: float = 0.2
    noise: float = 4.0
    blur: float = 0.7
    glove: float = 0.1


#: Presets: "medium" is the benchmark; "easy" and "hard" bracket it.
DIFFICULTIES = {
    "easy": Difficulty(
        hand_size=(0.55, 0.7),
        travel=(0.35, 0.45),
        pause=0.1,
        static_objects=3,
        moving_objects=0,
        camera_shake=0.0,
        camera_drift=0.0,
        lighting=0.1,
        noise=3.0,
        blur=0.5,
    ),
    "medium": Difficulty(),
    "hard": Difficulty(
        hand_size=(0.25, 0.45),
        travel=(0.15, 0.35),
        growth=(1.3, 1.7),
        turn=(60.0, 120.0),
        pause=0.35,
        static_objects=14,
        moving_objects=4,
        camera_shake=2.0,
        camera_drift=12.0,
        lighting=0.5,
        noise=12.0,
        blur=2.0,
        glove=0.4,
    ),
}


def get_difficulty(difficulty):
    """A `Difficulty` from itself or a preset name."""
    if isinstance(difficulty, Difficulty):
        return difficulty
    if difficulty not in DIFFICULTIES:
        raise ValueError(
            f"difficulty must be a Difficulty or one of {sorted(DIFFICULTIES)}; "
            f"got {difficulty!r}"
        )
    return DIFFICULTIES[difficulty]


def load_backgrounds(folder, size, frames_per_video=4):
    """Frames of the videos and images in `folder`, resized to cover `size`.

    Videos that OpenCV cannot decode are left out; a folder that yields no
    frame at all is an error.

    Args:
        folder: a folder of videos (mp4, mkv, webm, avi, mov) and images.
        size: `(height, width)` the backgrounds must cover.
        frames_per_video: frames taken from each video, evenly spread.

    Returns:
        A list of uint8 BGR arrays `(height, width, 3)`.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"background folder {folder} does not exist")
    frames = []
    for path in sorted(folder.rglob("*")):
        suffix = path.suffix.lower()
        if suffix in _IMAGE_SUFFIXES:
            image = cv2.imread(str(path))
            frames += [] if image is None else [image]
        elif suffix in _VIDEO_SUFFIXES:
            frames += _video_frames(path, frames_per_video)
    if not frames:
        raise ValueError(f"no decodable video or image in background folder {folder}")
    return [_cover(frame, size) for frame in frames]


def _video_frames(path, count):
    from keras_action.data.decode import count_frames, read_frames

    try:
        total = count_frames(path)
        indices = np.linspace(0, total - 1, count).astype(int)
        return [frame[..., ::-1] for frame in read_frames(path, indices)]
    except VideoDecodeError:
        return []


def _cover(image, size):
    """Resizes `image` to cover `size` and centre-crops it."""
    height, width = size
    scale = max(height / image.shape[0], width / image.shape[1])
    resized = cv2.resize(
        image,
        (math.ceil(image.shape[1] * scale), math.ceil(image.shape[0] * scale)),
        interpolation=cv2.INTER_AREA,
    )
    top = (resized.shape[0] - height) // 2
    left = (resized.shape[1] - width) // 2
    return np.ascontiguousarray(resized[top : top + height, left : left + width])


def procedural_background(height, width, rng):
    """A cluttered texture: coloured multi-scale noise, stripes and a person."""
    image = np.zeros((height, width, 3), np.float32)
    palette = rng.uniform(20, 230, size=(2, 3)).astype(np.float32)
    amount = np.zeros((height, width), np.float32)
    for cells, weight in ((3, 1.0), (8, 0.5), (24, 0.25)):
        coarse = rng.random((cells, max(cells * width // height, 1)), np.float32)
        amount += weight * cv2.resize(
            coarse, (width, height), interpolation=cv2.INTER_CUBIC
        )
    amount = np.clip(amount / 1.75, 0, 1)[..., None]
    image[:] = palette[0] * (1 - amount) + palette[1] * amount
    if rng.random() < 0.5:  # wallpaper or shelves: periodic stripes
        period = rng.uniform(6, 24)
        angle = rng.uniform(0, math.pi)
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
        phase = (xs * math.cos(angle) + ys * math.sin(angle)) * 2 * math.pi / period
        image += rng.uniform(10, 40) * np.sin(phase)[..., None]
    return np.clip(image, 0, 255).astype(np.uint8)


def _draw_person(image, centre_x, rng):
    """A head and shoulders behind the hand, as in every Jester clip."""
    height, width = image.shape[:2]
    shirt = tuple(float(c) for c in rng.uniform(0, 255, 3))
    skin = tuple(float(c) for c in _SKIN[rng.integers(len(_SKIN))])
    shoulders = (int(width * rng.uniform(0.25, 0.4)), int(height * 0.5))
    cv2.ellipse(
        image, (centre_x, height + height // 5), shoulders, 0, 0, 360, shirt, -1
    )
    head = (int(height * rng.uniform(0.14, 0.2)), int(height * rng.uniform(0.18, 0.25)))
    cv2.ellipse(
        image, (centre_x, int(height * 0.45)), head, 0, 0, 360, skin, -1, cv2.LINE_AA
    )


def draw_static_objects(image, count, rng):
    """Rectangles, ellipses and lines of random colours (furniture, posters, ...)."""
    height, width = image.shape[:2]
    for _ in range(count):
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        w, h = (int(v) for v in rng.integers(4, max(height // 3, 5), 2))
        kind = rng.integers(3)
        if kind == 0:
            cv2.rectangle(image, (x, y), (x + w, y + h), colour, -1)
        elif kind == 1:
            angle = float(rng.uniform(0, 180))
            cv2.ellipse(image, (x, y), (w, h), angle, 0, 360, colour, -1, cv2.LINE_AA)
        else:
            end = (x + int(rng.integers(-width, width)), y + int(rng.integers(-h, h)))
            cv2.line(image, (x, y), end, colour, int(rng.integers(1, 4)), cv2.LINE_AA)


@dataclasses.dataclass
class _Mover:
    """An object crossing the scene in a straight line, at constant speed."""

    start: np.ndarray
    velocity: np.ndarray
    size: int
    colour: tuple
    round: bool

    def draw(self, frame, t):
        x, y = (self.start + t * self.velocity).astype(int)
        if self.round:
            cv2.circle(frame, (x, y), self.size, self.colour, -1, cv2.LINE_AA)
        else:
            half = self.size
            cv2.rectangle(
                frame, (x - half, y - half), (x + half, y + half), self.colour, -1
            )


def _movers(count, height, width, num_frames, rng):
    movers = []
    for _ in range(count):
        angle = rng.uniform(0, 2 * math.pi)
        speed = rng.uniform(0.5, 1.5) * width / num_frames
        movers.append(
            _Mover(
                start=rng.uniform([0, 0], [width, height]),
                velocity=speed * np.array([math.cos(angle), math.sin(angle)]),
                size=int(rng.integers(3, max(height // 10, 4))),
                colour=tuple(int(c) for c in rng.integers(0, 256, 3)),
                round=bool(rng.integers(2)),
            )
        )
    return movers


def _progress(num_frames, pause, rng):
    """Gesture progress in [0, 1] per frame: hold, move smoothly, hold."""
    start, end = rng.uniform(0, pause, 2)
    t = np.linspace(0.0, 1.0, num_frames)
    u = np.clip((t - start) / max(1.0 - start - end, 1e-3), 0, 1)
    return u * u * (3 - 2 * u)  # smoothstep: the hand accelerates and slows down


def _hand_poses(motion, num_frames, height, width, difficulty, rng, hand_size=None):
    """Per frame `(x, y, length, angle)` of the hand, for the forward gesture.

    `hand_size` (a fraction of the height) is the performer's; a clip varies
    it by ±10 % (the hand nearer or farther), and without it draws one from
    `difficulty.hand_size`.
    """
    p = _progress(num_frames, difficulty.pause, rng)
    if hand_size is None:
        hand_size = rng.uniform(*difficulty.hand_size)
    length = hand_size * rng.uniform(0.9, 1.1) * height
    x = width * (0.5 + rng.uniform(-0.08, 0.08))
    y = height * (0.55 + rng.uniform(-0.08, 0.08))
    angle = rng.uniform(-20, 20)  # fingers up, give or take
    ones = np.ones(num_frames)
    xs, ys, lengths, angles = x * ones, y * ones, length * ones, angle * ones
    if motion == "move_x":
        xs = x + (p - 0.5) * rng.uniform(*difficulty.travel) * width
    elif motion == "move_y":
        ys = y + (p - 0.5) * rng.uniform(*difficulty.travel) * height * 1.5
    elif motion == "grow":
        growth = rng.uniform(*difficulty.growth)
        lengths = length / math.sqrt(growth) * growth**p
    else:  # clockwise on screen: the angle grows with y pointing down
        turn = rng.uniform(*difficulty.turn)
        angles = angle + (p - 0.5) * turn
    # A hand is never perfectly still: a little tremor on top of the gesture.
    tremor = rng.normal(0, 0.01 * height, (2, num_frames))
    return np.stack([xs + tremor[0], ys + tremor[1], lengths, angles], axis=1)


def _hand_mask(height, width, pose, open_fingers):
    """Coverage in [0, 1] of a palm, four fingers and a thumb at `pose`."""
    x, y, length, angle = pose
    # Drawn in 8 bits: OpenCV anti-aliases only those.
    mask = np.zeros((height, width), np.uint8)
    rotation = cv2.getRotationMatrix2D((0.0, 0.0), -angle, 1.0)[:, :2]

    def point(u, v):  # hand coordinates (u right, v up), in hand lengths
        du, dv = rotation @ np.array([u, -v]) * length
        return int(round(x + du)), int(round(y + dv))

    palm_axes = (max(int(0.2 * length), 1), max(int(0.24 * length), 1))
    cv2.ellipse(mask, point(0, 0), palm_axes, angle, 0, 360, 255, -1, cv2.LINE_AA)
    finger = max(int(0.07 * length), 1)
    for u, reach in zip((-0.15, -0.05, 0.05, 0.15), open_fingers[:4], strict=True):
        tip = point(u * 1.3, 0.15 + reach)
        cv2.line(mask, point(u, 0.15), tip, 255, finger, cv2.LINE_AA)
    thumb = point(-0.38, 0.1 + open_fingers[4] / 3)
    cv2.line(mask, point(-0.15, -0.05), thumb, 255, finger, cv2.LINE_AA)
    return mask.astype(np.float32) / 255


def _motion_blur(mask, velocity):
    """Smears a mask along `velocity` (pixels per frame), as a shutter would."""
    steps = int(np.hypot(*velocity) * 0.5)
    if steps < 2:
        return mask
    kernel = np.zeros((2 * steps + 1, 2 * steps + 1), np.float32)
    direction = velocity / np.hypot(*velocity)
    for s in np.linspace(-steps, steps, 2 * steps + 1):
        cx, cy = (np.array([steps, steps]) + s * direction).round().astype(int)
        kernel[cy, cx] = 1.0
    return cv2.filter2D(mask, -1, kernel / kernel.sum())


def scene_margin(difficulty):
    """Pixels of scene kept around the frame for the camera to move into."""
    return int(math.ceil(difficulty.camera_drift + 3 * difficulty.camera_shake)) + 1


@dataclasses.dataclass(frozen=True)
class Subject:
    """One performer in their room: what all of their clips share.

    In Jester each of about 1,300 people records every gesture in their own
    room; train and validation are split by person. So here: a subject's
    clips share the background, the person, the furniture, the hand's colour
    and size, and the rest (gesture, camera, lighting, passers-by, noise) is
    drawn per clip. A room then says nothing of the class, and a model that
    learns rooms instead of gestures fails on the validation subjects.

    Attributes:
        scene: uint8 BGR `(height + 2·margin, width + 2·margin, 3)`, see
            `scene_margin`.
        hand_colour: float32 BGR.
        hand_size: palm-to-fingertip length, a fraction of the frame height.
    """

    scene: np.ndarray
    hand_colour: np.ndarray
    hand_size: float


def draw_subject(height, width, difficulty, rng, backgrounds=()):
    """A random `Subject` for frames of `height`×`width`.

    Args:
        height, width: frame size.
        difficulty: a `Difficulty`.
        rng: `numpy.random.Generator`.
        backgrounds: real frames (from `load_backgrounds`, at least
            `scene_margin` larger than the frame on every side) used for half
            of the subjects; the others get a procedural background.
    """
    margin = scene_margin(difficulty)
    if len(backgrounds) and rng.random() < 0.5:
        scene = backgrounds[rng.integers(len(backgrounds))].copy()
    else:
        scene = procedural_background(height + 2 * margin, width + 2 * margin, rng)
    # The gesturing hand is raised in the middle of the frame, beside the
    # face rather than over it: a skin-coloured hand over a face of the same
    # colour is all but invisible at 64 pixels.
    side = rng.choice((-1.0, 1.0))
    head_x = margin + width * (0.5 + side * rng.uniform(0.2, 0.3))
    _draw_person(scene, int(head_x), rng)
    draw_static_objects(scene, int(rng.integers(0, difficulty.static_objects + 1)), rng)
    if rng.random() < difficulty.glove:
        colour = rng.uniform(0, 255, 3)
    else:
        colour = _SKIN[rng.integers(len(_SKIN))] * rng.uniform(0.85, 1.1)
    return Subject(
        scene=scene,
        hand_colour=colour.astype(np.float32),
        hand_size=float(rng.uniform(*difficulty.hand_size)),
    )


def render_gesture(motion, num_frames, height, width, difficulty, rng, subject=None):
    """Renders one forward realistic clip as uint8 BGR frames `(N, H, W, 3)`.

    Args:
        motion: one of "move_x", "move_y", "grow", "turn".
        num_frames: frames in the clip.
        height, width: frame size.
        difficulty: a `Difficulty`.
        rng: `numpy.random.Generator`.
        subject: the `Subject` performing (from `draw_subject` with the same
            frame size and difficulty); `None` draws a new one.
    """
    if subject is None:
        subject = draw_subject(height, width, difficulty, rng)
    margin = scene_margin(difficulty)
    movers = _movers(
        int(rng.integers(0, difficulty.moving_objects + 1)),
        height,
        width,
        num_frames,
        rng,
    )
    poses = _hand_poses(
        motion, num_frames, height, width, difficulty, rng, subject.hand_size
    )
    # Curled fingers still show as short stubs.
    open_fingers = np.where(HAND_SHAPES[motion], rng.uniform(0.3, 0.45, 5), 0.05)
    drift = rng.uniform(-1, 1, 2) * difficulty.camera_drift
    shake = difficulty.camera_shake * np.clip(rng.normal(size=(num_frames, 2)), -3, 3)
    light = 1 + rng.uniform(-1, 1) * difficulty.lighting * np.linspace(
        -0.5, 0.5, num_frames
    )
    light *= rng.uniform(0.8, 1.2)  # overall exposure
    tint = rng.uniform(0.9, 1.1, 3).astype(np.float32)
    sigma = rng.uniform(0, difficulty.blur)
    noise = rng.uniform(0, difficulty.noise)
    frames = np.empty((num_frames, height, width, 3), np.uint8)
    for t in range(num_frames):
        dx, dy = (
            margin + drift * (t / max(num_frames - 1, 1) - 0.5) + shake[t]
        ).astype(int)
        frame = subject.scene[dy : dy + height, dx : dx + width].copy()
        for mover in movers:
            mover.draw(frame, t)
        velocity = poses[min(t + 1, num_frames - 1), :2] - poses[max(t - 1, 0), :2]
        mask = _motion_blur(
            _hand_mask(height, width, poses[t], open_fingers), velocity / 2
        )
        shading = 0.6 + 0.4 * mask  # the rim of the hand in shadow
        pixels = frame.astype(np.float32)
        pixels += mask[..., None] * (subject.hand_colour * shading[..., None] - pixels)
        if sigma > 0.3:
            pixels = cv2.GaussianBlur(pixels, (0, 0), sigma)
        pixels *= light[t] * tint
        if noise > 0:
            pixels += noise * rng.standard_normal(pixels.shape, np.float32)
        frames[t] = np.clip(pixels, 0, 255)
    return frames
