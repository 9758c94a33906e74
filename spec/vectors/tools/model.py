"""The documented hash and random draws (spec/catalog.md, spec/learning.md), written again from the
spec in Python: the independent model the vector generators compute expectations with."""
import math

M64 = (1 << 64) - 1
G = 0x9e3779b97f4a7c15

def fnv1a(*parts):
    h = 0xcbf29ce484222325
    for part in parts:
        for b in part.encode() + b"\xff":
            h ^= b
            h = (h * 0x100000001b3) & M64
    return h

def mix(z):
    z = (z + G) & M64
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M64
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M64
    return z ^ (z >> 31)

# The normal's ziggurat (Marsaglia and Tsang 2000, 128 layers of area ZIG_V, the tail beyond
# ZIG_R): the layers' right edges by their recurrence, X[128] = 0.
ZIG_R = 3.442619855899
ZIG_V = 9.91256303526217e-3
def density(x): return math.exp(-0.5 * x * x)
ZIG_X = [ZIG_V / density(ZIG_R), ZIG_R]
for _ in range(2, 128):
    ZIG_X.append(math.sqrt(-2 * math.log(ZIG_V / ZIG_X[-1] + density(ZIG_X[-1]))))
ZIG_X.append(0.0)

def _written_table():
    """The table as crates/shopkeeper/src/random/ziggurat.rs writes it out."""
    import os, re
    here = os.path.dirname(os.path.abspath(__file__))
    rust = open(os.path.join(here, "../../../crates/shopkeeper/src/random/ziggurat.rs")).read()
    body = rust.split("const X: [f64; 129] = [", 1)[1].split("];", 1)[0]
    return [float(v) for v in re.findall(r"[0-9][0-9.e+-]*", body)]

# This platform's math library must give the written bits, or the vectors would not be the
# bindings' draws: regenerate elsewhere only if this holds.
assert ZIG_X == _written_table(), "this Python's math gives another ziggurat table than ziggurat.rs"

class Stream:
    def __init__(s, seed): s.x = seed
    def next(s):
        out = mix(s.x); s.x = (s.x + G) & M64; return out
    def open01(s): return ((s.next() >> 11) + 0.5) / 2**53
    def normal(s):
        for _ in range(64):
            bits = s.next()
            i = bits & 127; sign = -1.0 if bits & 128 else 1.0
            x = ((bits >> 11) + 0.5) / 2**53 * ZIG_X[i]
            if x < ZIG_X[i + 1]: return sign * x
            if i == 0:
                for _ in range(64):
                    a = -math.log(s.open01()) / ZIG_R; b = -math.log(s.open01())
                    if 2 * b > a * a: return sign * (ZIG_R + a)
                return sign * ZIG_R
            low, high = density(ZIG_X[i]), density(ZIG_X[i + 1])
            if low + s.open01() * (high - low) < density(x): return sign * x
        return 0.0
    def gamma(s, k):
        if k < 1:
            boost = s.open01() ** (1 / k)
            return s.gamma(k + 1) * boost
        d = k - 1 / 3; c = 1 / math.sqrt(9 * d)
        for _ in range(64):
            x = s.normal(); v = 1 + c * x
            if v <= 0: continue
            v = v * v * v; u = s.open01()
            if u < 1 - 0.0331 * (x * x) * (x * x): return d * v
            if math.log(u) < 0.5 * x * x + d - d * v + d * math.log(v): return d * v
        return d
    def beta(s, a, b):
        x = s.gamma(a); y = s.gamma(b)
        return x / (x + y) if x + y > 0 else a / (a + b)


def bucket(salt, customer):
    return (mix(fnv1a(salt, customer)) >> 11) / float(1 << 53)


def varint(n):
    """postcard's unsigned varint: 7 bits a byte, least significant first."""
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def zigzag(n):
    """postcard's signed varint: zigzag, then `varint`."""
    return varint((n << 1) ^ (n >> 63))
