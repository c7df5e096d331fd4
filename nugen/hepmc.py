"""Event files in the HepMC3 ASCII format, for detector simulations (Geant4 and friends).

:func:`write_hepmc` turns the event chunks of :meth:`nugen.generator.Generator.iter_chunks` into one
HepMC3 ``GenEvent`` per event (A. Buckley et al., "The HepMC3 event record library for Monte Carlo
event generators", Comput. Phys. Commun. 260 (2021) 107310, arXiv:1912.08005) and writes them with
pyhepmc's ``WriterAscii`` (the ``Asciiv3`` format that ``HepMC3::ReaderAscii``, Geant4's HepMC
interfaces and ``pyhepmc.open`` read). Where a choice was free, the NuHepMC conventions for neutrino
generators (C. Gardiner, J. Isaacson, L. Pickering et al., arXiv:2310.13211) are followed, as noted
below. The files are *not* declared NuHepMC files (no ``NuHepMC.Version`` attributes): the target has
the HepMC3 incoming status 4, whereas NuHepMC gives targets a status of their own (20 in the NuHepMC 1.0
reference utilities, 11 in earlier drafts).

Units: momenta and energies in MeV, lengths in mm (HepMC3 ``Units.MEV``, ``Units.MM``; Geant4's own
length unit). Vertex times are ``c t`` in mm. The scattering vertex is at the origin: the files carry
kinematics and decay displacements relative to the interaction point, and the detector simulation places
the interaction (HepMC3 allows shifting a whole event, ``GenEvent.shift_position_to``).

Event record (every event, in this order)::

    nu (status 4) + target (status 4) -> [primary vertex, status 1] -> N or nu (1 or 2) + recoil (1)
    N (status 2) -> [decay vertex, status 30, displaced] -> photon (1) + nu (1)      (when N decays)

* **beam**: the incoming neutrino, PDG +-12/14/16 from ``nu_pdg`` (negative: antineutrino), momentum
  ``E_nu_MeV`` along +z, or along ``nu_dir_x/y/z`` for samples made with a site;
* **target**: the electron (PDG 11) or the nucleus (ion code ``100ZZZAAA0`` from ``target_pdg``), at
  rest. Its mass is not a column: electrons get :data:`nugen.constants.M_E`, nuclei the mass the
  generator used, reconstructed as ``recoil_E_MeV - Er_keV / 1000`` (total minus kinetic energy of the
  recoil, exact to round-off);
* **outgoing neutral lepton**: for dipole events the heavy neutral lepton N with PDG code
  :data:`N_PDG` = 9900012 (:data:`nugen.generator.N_PDG`; there is no official code: Pythia 8 and the
  MadGraph HeavyN models use 9900012 for the first heavy neutrino). A Dirac N made by an antineutrino is
  the antiparticle, -9900012; a Majorana N is its own antiparticle and always +9900012. Its generated
  mass is ``meta["model"]["mass_MeV"]``. For Standard-Model events (``sm_e``, CEvNS) it is the
  scattered neutrino with the incoming ``nu_pdg``;
* **recoil**: the struck electron or nucleus (``recoil_*`` columns), status 1;
* **decay** (only where ``N_decay_x/y/z_cm`` and the photon columns are finite): N gets status 2 and an
  end vertex at the decay point (``N_decay_*_cm`` x 10 mm, time ``c t = L E_N / p_N``), with the photon
  (PDG 22, ``gamma_*`` columns) and a neutrino. The neutrino is not a column: its four-momentum is
  reconstructed as ``p_N - p_gamma`` (conservation; the generator constructs it the same way), and it is
  given the incoming ``nu_pdg``. For a single-flavour coupling (``--flavour e/mu/tau``) that flavour is
  exact; with several couplings the decay flavour would be alpha with probability
  ``mu_alpha^2 / sum mu^2`` and the record keeps the production flavour as a convention (the neutrino
  leaves any detector); for Majorana N, nu and nubar are equally likely and the record keeps the
  incoming one's.

With these choices four-momentum balances at both vertices to round-off of the columns (a few ulps of
the largest energy at the vertex); the text keeps 17 significant digits, so it survives the file.

Statuses: particles follow HepMC3 (1 final state, 2 decayed, 4 incoming); the primary vertex has status
1 (NuHepMC V.R.1) and the N decay vertex :data:`VERTEX_DECAY` = 30, a generator-dependent code away from
those NuHepMC uses (1 primary, 2 final-state-interaction summary, 21 nucleon separation); both are
described in the run info.

Weights: one weight per event named ``"CV"`` (NuHepMC G.R.7), the ``weight`` column: summed over the file
it gives the expected number of events of the sample's exposure, as in the ROOT files.

Event and run attributes:

* per event: ``ProcID`` (int, the nugen process code of :data:`nugen.generator.PROCESS_CODES`; NuHepMC
  E.R.2) and every column the particle record does not already hold, under its column name (ints as
  ``IntAttribute``, floats as ``DoubleAttribute`` with 15 significant digits; a NaN or infinite value,
  which marks "not applicable" in nugen's columns, is left out): ``flavour``, ``component``,
  ``Er_keV``, ``N_helicity``, ``N_betagamma``, ``N_lambda_cm``, ``N_decay_u``, ``gamma_cos_theta_star``,
  ``P_e``, ``P_mu``, ``P_tau``, and ``time_unix_s``, ``Eobs_keV``, ``efficiency`` where present.
  ``event_number`` is the entry index of the event in the sample (from 0, as in the ROOT file);
* per run (``GenRunInfo``): the tool ``nugen`` with its version (NuHepMC G.R.3), the weight name, and
  string attributes ``nugen.meta`` (the run metadata as JSON, the ``meta`` string of the ROOT files as it
  stands when writing starts, i.e. without ``n_events``, ``sum_weights`` and ``diagnostics``, which only
  exist once every event is written; the ``normalisation`` entry gives the expected events and the weight
  per event), ``nugen.version``, ``nugen.model`` (JSON), ``nugen.normalisation`` (the normalisation
  statement), ``nugen.seed`` (a string: seeds may exceed 64 bits), ``nugen.units``; and process and
  status descriptions in the NuHepMC G.R.4-G.R.6 layout (``NuHepMC.ProcessIDs``,
  ``NuHepMC.ProcessInfo[ID].Name``, ... ``.Description``, the same for ``VertexStatus`` and
  ``ParticleStatus``).

The file is written under a hidden temporary name and renamed when complete
(:func:`nugen.outputs.atomic_output`). pyhepmc is only needed when writing: ``pip install 'nugen[hepmc]'``.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable, Mapping

import numpy as np

from nugen.constants import M_E
from nugen.errors import InvalidParameterError
from nugen.generator import N_PDG, PROCESS_CODES
from nugen.outputs import atomic_output, check_output_path, column_chunks

__all__ = [
    "FORMAT",
    "N_PDG",
    "PHOTON_PDG",
    "STATUS_DECAYED",
    "STATUS_FINAL",
    "STATUS_INCOMING",
    "SUFFIXES",
    "VERTEX_DECAY",
    "VERTEX_PRIMARY",
    "WEIGHT_NAME",
    "require_pyhepmc",
    "write_hepmc",
]

#: Format tag in the returned metadata (the ROOT files have ``nugen-events/1``).
FORMAT = "nugen-hepmc3/1"
#: File name suffixes that select HepMC3 output in ``nugen generate``.
SUFFIXES = (".hepmc3", ".hepmc")
#: Name of the event weight (NuHepMC G.R.7: the central-value weight).
WEIGHT_NAME = "CV"
#: PDG code of the photon.
PHOTON_PDG = 22
#: HepMC3 particle status of final-state particles.
STATUS_FINAL = 1
#: HepMC3 particle status of a particle that decayed in the record (N -> nu gamma).
STATUS_DECAYED = 2
#: HepMC3 particle status of the incoming particles (neutrino and target).
STATUS_INCOMING = 4
#: Vertex status of the scattering vertex (NuHepMC V.R.1: the primary vertex).
VERTEX_PRIMARY = 1
#: Vertex status of the N -> nu gamma decay vertex (generator-dependent code, described in the run info).
VERTEX_DECAY = 30

_INSTALL_HINT = "writing HepMC3 files needs pyhepmc: pip install 'nugen[hepmc]'"
_MM_PER_CM = 10.0
#: Columns the particle record holds; every other column becomes an event attribute.
_IN_RECORD = frozenset(
    {
        "E_nu_MeV", "nu_pdg", "target_pdg", "process", "weight", "nu_dir_x", "nu_dir_y", "nu_dir_z",
        *(f"recoil_{c}_MeV" for c in ("E", "px", "py", "pz")),
        *(f"N_{c}_MeV" for c in ("E", "px", "py", "pz")),
        *(f"gamma_{c}_MeV" for c in ("E", "px", "py", "pz")),
        *(f"N_decay_{c}_cm" for c in "xyz"),
    }
)  # fmt: skip
_REQUIRED = (
    "E_nu_MeV", "nu_pdg", "target_pdg", "process", "weight", "Er_keV",
    *(f"recoil_{c}_MeV" for c in ("E", "px", "py", "pz")),
    *(f"N_{c}_MeV" for c in ("E", "px", "py", "pz")),
)  # fmt: skip
_PROCESS_DESCRIPTIONS = {
    "dipole_e": "dipole up-scattering nu e -> N e on atomic electrons (Brdar, Greljo, Kopp, Opferkuch, "
    "JCAP 01 (2021) 039, arXiv:2007.15563); nugen physics.md Sec. 2",
    "dipole_A": "coherent dipole up-scattering nu A -> N A on nuclei, Helm form factor; nugen physics.md "
    "Secs. 2.1, 2.6",
    "sm_e": "Standard-Model elastic nu e scattering (charged and neutral currents); nugen physics.md "
    "Sec. 3.1",
    "cevns": "Standard-Model coherent elastic neutrino-nucleus scattering (Freedman, Phys. Rev. D 9 (1974) "
    "1389); nugen physics.md Sec. 3.2",
}
_VERTEX_STATUSES = {
    VERTEX_PRIMARY: ("PrimaryVertex", "the scattering nu X -> N X (or nu X -> nu X), at the origin"),
    VERTEX_DECAY: ("NDecayVertex", "N -> nu gamma in flight, displaced along the N momentum"),
}
_PARTICLE_STATUSES = {
    STATUS_FINAL: ("UndecayedPhysical", "final-state particle"),
    STATUS_DECAYED: ("DecayedPhysical", "N that decays to nu gamma inside the record"),
    STATUS_INCOMING: ("IncomingBeam", "incoming neutrino, and the target electron or nucleus at rest"),
}
_PARENTS = {
    4: np.array([[-1, -1], [-1, -1], [0, 1], [0, 1]], dtype=np.int32),
    6: np.array([[-1, -1], [-1, -1], [0, 1], [0, 1], [2, 2], [2, 2]], dtype=np.int32),
}


def require_pyhepmc():
    """Import and return :mod:`pyhepmc`.

    Raises
    ------
    InvalidParameterError
        If pyhepmc is not installed, with the ``pip install`` command that adds it.
    """
    try:
        import pyhepmc
    except ImportError:
        raise InvalidParameterError(_INSTALL_HINT) from None
    return pyhepmc


def _run_info(pyhepmc, meta: Mapping):
    """The ``GenRunInfo``: tool, weight name, run metadata and the status and process descriptions."""
    from nugen import __version__

    ri = pyhepmc.GenRunInfo()
    version = str(meta.get("nugen_version") or __version__)
    ri.tools = [("nugen", version, "Monte Carlo generator for the neutrino magnetic-moment portal")]
    ri.weight_names = [WEIGHT_NAME]
    a = ri.attributes
    a["nugen.version"] = version
    a["nugen.meta"] = json.dumps(dict(meta), allow_nan=False)
    if "model" in meta:
        a["nugen.model"] = json.dumps(meta["model"], allow_nan=False)
    norm = meta.get("normalisation")
    if isinstance(norm, Mapping) and "statement" in norm:
        a["nugen.normalisation"] = str(norm["statement"])
    else:
        a["nugen.normalisation"] = "summed CV weights = expected events of the sample's exposure"
    if meta.get("seed") is not None:
        a["nugen.seed"] = str(meta["seed"])
    a["nugen.units"] = "energies and momenta in MeV, lengths and c*t in mm; scattering vertex at the origin"
    a["NuHepMC.ProcessIDs"] = sorted(PROCESS_CODES.values())
    for name, code in PROCESS_CODES.items():
        a[f"NuHepMC.ProcessInfo[{code}].Name"] = name
        a[f"NuHepMC.ProcessInfo[{code}].Description"] = _PROCESS_DESCRIPTIONS[name]
    for kind, table in (("VertexStatus", _VERTEX_STATUSES), ("ParticleStatus", _PARTICLE_STATUSES)):
        a[f"NuHepMC.{kind}IDs"] = sorted(table)
        for code, (name, text) in table.items():
            a[f"NuHepMC.{kind}Info[{code}].Name"] = name
            a[f"NuHepMC.{kind}Info[{code}].Description"] = text
    return ri


class _Record:
    """Per-chunk arrays of the particle record, one row per event and one column per particle.

    Particle order: 0 beam neutrino, 1 target, 2 N (or the scattered neutrino), 3 recoil, 4 photon,
    5 neutrino from the decay (4 and 5 only where N decays).
    """

    def __init__(self, cols: Mapping[str, np.ndarray], nature: str, mass_N: float | None):
        n = cols["E_nu_MeV"].size
        f8 = np.float64
        E = cols["E_nu_MeV"].astype(f8)
        if "nu_dir_x" in cols:
            d = [cols[f"nu_dir_{c}"].astype(f8) for c in "xyz"]
        else:
            d = [np.zeros(n), np.zeros(n), np.ones(n)]
        nu_pdg = cols["nu_pdg"].astype(np.int32)
        tgt_pdg = cols["target_pdg"].astype(np.int32)
        proc = cols["process"].astype(np.int64)
        dipole = (proc == PROCESS_CODES["dipole_e"]) | (proc == PROCESS_CODES["dipole_A"])
        rec = [cols[f"recoil_{c}_MeV"].astype(f8) for c in ("E", "px", "py", "pz")]
        N = [cols[f"N_{c}_MeV"].astype(f8) for c in ("E", "px", "py", "pz")]
        m_t = np.where(tgt_pdg == 11, M_E, rec[0] - cols["Er_keV"].astype(f8) * 1e-3)
        if mass_N is None:  # no model in the metadata: the invariant mass of the N columns
            p2 = N[1] ** 2 + N[2] ** 2 + N[3] ** 2
            m_N = np.where(dipole, np.sqrt(np.maximum(N[0] ** 2 - p2, 0.0)), 0.0)
        else:
            m_N = np.where(dipole, float(mass_N), 0.0)
        if nature == "majorana":
            n_pdg = np.where(dipole, N_PDG, nu_pdg)
        else:
            n_pdg = np.where(dipole, np.sign(nu_pdg) * N_PDG, nu_pdg)
        names = ("gamma_E_MeV", "gamma_px_MeV", "gamma_py_MeV", "gamma_pz_MeV")
        names += ("N_decay_x_cm", "N_decay_y_cm", "N_decay_z_cm")
        if all(k in cols for k in names):
            g = [cols[k].astype(f8) for k in names[:4]]
            v = [cols[k].astype(f8) * _MM_PER_CM for k in names[4:]]
            decays = np.all(np.isfinite(np.stack(g + v)), axis=0)
        else:
            g = [np.full(n, np.nan)] * 4
            v = [np.full(n, np.nan)] * 3
            decays = np.zeros(n, dtype=bool)
        nu2 = [a - b for a, b in zip(N, g, strict=True)]  # p_nu = p_N - p_gamma (conservation)
        with np.errstate(invalid="ignore", divide="ignore"):
            p_N = np.sqrt(N[1] ** 2 + N[2] ** 2 + N[3] ** 2)
            ct = np.sqrt(v[0] ** 2 + v[1] ** 2 + v[2] ** 2) * N[0] / p_N  # L / beta
        zero = np.zeros(n)
        self.n = n
        self.decays = decays
        self.e = np.stack([E, m_t, N[0], rec[0], g[0], nu2[0]], axis=1)
        self.px = np.stack([E * d[0], zero, N[1], rec[1], g[1], nu2[1]], axis=1)
        self.py = np.stack([E * d[1], zero, N[2], rec[2], g[2], nu2[2]], axis=1)
        self.pz = np.stack([E * d[2], zero, N[3], rec[3], g[3], nu2[3]], axis=1)
        self.m = np.stack([zero, m_t, m_N, m_t, zero, zero], axis=1)
        self.pid = np.stack(
            [nu_pdg, tgt_pdg, n_pdg.astype(np.int32), tgt_pdg, np.full(n, PHOTON_PDG, np.int32), nu_pdg],
            axis=1,
        ).astype(np.int32)
        status = np.full((n, 6), STATUS_FINAL, dtype=np.int32)
        status[:, :2] = STATUS_INCOMING
        status[:, 2] = np.where(decays, STATUS_DECAYED, STATUS_FINAL)
        self.status = status
        self.vx, self.vy, self.vz, self.vt = (
            np.concatenate([np.zeros((n, 4)), np.stack([a, a], axis=1)], axis=1) for a in (*v, ct)
        )
        self.proc = proc.tolist()
        self.weight = cols["weight"].astype(f8).tolist()


def write_hepmc(
    path: str | os.PathLike,
    chunks: Iterable,
    meta: Mapping,
    *,
    overwrite: bool = False,
    on_chunk: Callable[[int], None] | None = None,
) -> dict:
    """Write event chunks to a HepMC3 ASCII file, one ``GenEvent`` per event (module docstring).

    Same contract as :func:`nugen.io.write_events`: atomic, lazy in the chunks, and the same summary.

    Parameters
    ----------
    path : path-like
        Output file (``.hepmc3`` or ``.hepmc``). Its folder must exist and be writable.
    chunks : iterable of mapping or awkward.Array
        Event chunks with identical columns, as yielded by
        :meth:`nugen.generator.Generator.iter_chunks` (optionally with a detector's ``Eobs_keV`` and
        ``efficiency``). Consumed lazily, so memory holds one chunk at a time.
    meta : mapping
        Run metadata (JSON-serialisable), stored in the run info as it stands before the first chunk;
        ``model`` (``mass_MeV``, ``nature``), ``nugen_version``, ``normalisation`` and ``seed`` are used
        when present. Read again after the last chunk for the returned summary.
    overwrite : bool
        Replace an existing file.
    on_chunk : callable, optional
        Called with the number of events of each chunk after it is written (progress bars).

    Returns
    -------
    dict
        ``format`` (:data:`FORMAT`), the metadata as it stands after the last chunk, ``n_events`` and
        ``sum_weights`` (as :func:`nugen.io.write_events` returns them).

    Raises
    ------
    InvalidParameterError
        pyhepmc missing (the message says ``pip install 'nugen[hepmc]'``), bad path, no events, chunks
        without the columns of a nugen sample or with differing columns. Nothing is left on disk.
    OSError
        If the file cannot be written (e.g. the disk is full); nothing is left on disk.

    References
    ----------
    A. Buckley et al., Comput. Phys. Commun. 260 (2021) 107310, arXiv:1912.08005 (HepMC3).
    C. Gardiner et al., arXiv:2310.13211 (NuHepMC).

    Examples
    --------
    >>> from nugen import DipolePortal
    >>> from nugen.generator import Generator
    >>> from nugen.sources import get_source
    >>> from nugen.targets import get_target
    >>> gen = Generator(get_source("solar"), get_target("xenon"), DipolePortal(0.1, 2e-11))
    >>> chunks = (c for c, _ in gen.iter_chunks(1000, seed=1))
    >>> write_hepmc("xe.hepmc3", chunks, gen.describe())["n_events"]  # doctest: +SKIP
    1000
    """
    pyhepmc = require_pyhepmc()
    final = check_output_path(path, overwrite=overwrite)
    model = meta.get("model") if isinstance(meta.get("model"), Mapping) else {}
    nature = str(model.get("nature", "dirac"))
    mass_N = model.get("mass_MeV")
    run_info = _run_info(pyhepmc, meta)
    n_events = 0
    sum_w = 0.0
    with atomic_output(final, overwrite=overwrite) as tmp:
        writer = pyhepmc.io.WriterAscii(str(tmp), run_info)
        try:
            event = pyhepmc.GenEvent(pyhepmc.Units.MEV, pyhepmc.Units.MM)
            event.run_info = run_info
            for cols in column_chunks(chunks):
                if n_events == 0:
                    missing = [k for k in _REQUIRED if k not in cols]
                    if missing:
                        msg = f"event chunks lack the column(s) {', '.join(missing)} of a nugen sample"
                        raise InvalidParameterError(msg)
                rec = _Record(cols, nature, mass_N)
                n_events = _write_chunk(writer, event, rec, cols, n_events)
                sum_w += float(np.sum(cols["weight"], dtype=np.float64))
                if writer.failed():
                    msg = f"writing {str(final)!r} failed (disk full?)"
                    raise OSError(msg)
                if on_chunk is not None:
                    on_chunk(rec.n)
        finally:
            writer.close()
        if n_events == 0:
            msg = f"no events to write to {str(final)!r}"
            raise InvalidParameterError(msg)
        if writer.failed():  # pragma: no cover - needs a full disk at close
            msg = f"writing {str(final)!r} failed (disk full?)"
            raise OSError(msg)
    return {"format": FORMAT, **dict(meta), "n_events": n_events, "sum_weights": sum_w}


def _write_chunk(writer, event, rec: _Record, cols: Mapping[str, np.ndarray], first: int) -> int:
    """Fill and write one GenEvent per event of a chunk; returns the next event number."""
    extra = []
    for name, col in cols.items():
        if name in _IN_RECORD or col.ndim != 1:
            continue
        if np.issubdtype(col.dtype, np.integer) or col.dtype == np.bool_:
            extra.append((name, col.astype(np.int64).tolist(), False))
        else:
            extra.append((name, col.astype(np.float64).tolist(), True))
    decays = rec.decays.tolist()
    isfinite = math.isfinite
    number = first
    for i in range(rec.n):
        k = 6 if decays[i] else 4
        if k == 6:
            event.from_hepevt(
                number, rec.px[i], rec.py[i], rec.pz[i], rec.e[i], rec.m[i], rec.pid[i], rec.status[i],
                parents=_PARENTS[6], vx=rec.vx[i], vy=rec.vy[i], vz=rec.vz[i], vt=rec.vt[i], fortran=False,
            )  # fmt: skip
            vertices = event.vertices
            vertices[0].status = VERTEX_PRIMARY
            vertices[1].status = VERTEX_DECAY
        else:
            event.from_hepevt(
                number, rec.px[i, :4], rec.py[i, :4], rec.pz[i, :4], rec.e[i, :4], rec.m[i, :4],
                rec.pid[i, :4], rec.status[i, :4], parents=_PARENTS[4], fortran=False,
            )  # fmt: skip
            event.vertices[0].status = VERTEX_PRIMARY
        event.weights = [rec.weight[i]]
        attrs = event.attributes
        attrs["ProcID"] = rec.proc[i]
        for name, values, is_float in extra:
            value = values[i]
            if not is_float or isfinite(value):
                attrs[name] = value
        writer.write_event(event)
        number += 1
    return number
