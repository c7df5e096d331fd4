"""Event files in the HepMC3 ASCII format, declared NuHepMC 1.0.0, for detector simulations (Geant4).

:func:`write_hepmc` turns the event chunks of :meth:`nugen.generator.Generator.iter_chunks` into one
HepMC3 ``GenEvent`` per event (A. Buckley et al., "The HepMC3 event record library for Monte Carlo
event generators", Comput. Phys. Commun. 260 (2021) 107310, arXiv:1912.08005) and writes them with
pyhepmc's ``WriterAscii`` (the ``Asciiv3`` format that ``HepMC3::ReaderAscii``, Geant4's HepMC
interfaces and ``pyhepmc.open`` read). The files are NuHepMC files of version 1.0.0 of the
specification (C. Gardiner, J. Isaacson, L. Pickering et al., arXiv:2310.13211; the living
specification is the README of github.com/NuHepMC/Spec, "NuHepMC Specification Version 1.0.0", whose
Requirements are listed below with how each is met). One condition: the metadata must give the
flux-averaged total cross section (G.R.5), which they do for every sample ``nugen generate`` writes and
for :meth:`nugen.generator.Generator.describe`; otherwise the same record is written as a plain HepMC3
file, without the ``NuHepMC.Version`` attributes and with the reason in the run attribute
``nugen.NuHepMC`` (a made-up cross section would be worse than none).

Units: momenta and energies in MeV, lengths in mm (HepMC3 ``Units.MEV``, ``Units.MM``; Geant4's own
length unit). Vertex times are ``c t`` in mm. The scattering vertex is at the origin: the files carry
kinematics and decay displacements relative to the interaction point, and the detector simulation places
the interaction (HepMC3 allows shifting a whole event, ``GenEvent.shift_position_to``; NuHepMC's
``lab_pos`` says where, when the sample knows it).

Event record (every event, in this order)::

    nu (status 4) + target (status 20) -> [primary vertex, status 1] -> N or nu (1 or 2) + recoil (1)
    N (status 2) -> [decay vertex, status 30, displaced] -> photon (1) + nu (1)      (when N decays)

* **beam**: the incoming neutrino, PDG +-12/14/16 from ``nu_pdg`` (negative: antineutrino), momentum
  ``E_nu_MeV`` along +z, or along ``nu_dir_x/y/z`` for samples made with a site;
* **target**: the electron (PDG 11) or the nucleus (ion code ``100ZZZAAA0`` from ``target_pdg``), at
  rest. Its mass is not a column: electrons get :data:`nugen.constants.M_E`, nuclei the mass the
  generator used, reconstructed as ``recoil_E_MeV - Er_keV / 1000`` (total minus kinetic energy of the
  recoil, exact to round-off);
* **outgoing neutral lepton**: for dipole events the heavy neutral lepton N with PDG code
  :data:`N_PDG` = 9900012 (:data:`nugen.generator.N_PDG`; there is no official code: Pythia 8 and the
  MadGraph HeavyN models use 9900012 for the first heavy neutrino; declared with a name and description
  in ``NuHepMC.AdditionalParticleNumbers``, NuHepMC G.R.11 and G.C.5). A Dirac N made by an
  antineutrino is the antiparticle, -9900012; a Majorana N is its own antiparticle and always +9900012.
  Its generated mass is ``meta["model"]["mass_MeV"]``. For Standard-Model events (``sm_e``, CEvNS)
  it is the scattered neutrino with the incoming ``nu_pdg``;
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

Statuses: particles follow HepMC3 and NuHepMC P.R.1 (1 final state, 2 decayed, 4 incoming beam, 20
target); the primary vertex has status 1 (NuHepMC V.R.1) and the N decay vertex :data:`VERTEX_DECAY` =
30, in the generator-dependent range 21-999 of V.R.1; all are described in the run info.

Weights and normalisation: one weight per event named ``"CV"`` (NuHepMC G.R.7), the ``weight`` column:
summed over the file it gives the expected number of events of the sample's exposure X, as in the ROOT
files: ``sum w = R X``, with R the rate per tonne per exposure unit (``meta["rate_per_exposure"]``,
events per tonne-year for the Sun, per tonne and POT for a beam). nugen integrates
``R = n_t f sum_c Phi_c <sigma>_c`` (:mod:`nugen.rates`: n_t scatterers per tonne, f = 3.15576e7 s per
Julian year for a steady source and 1 for a beam, Phi_c the flux of source component c in cm^-2 s^-1 or
cm^-2 POT^-1 including every flavour it arrives as, <sigma>_c its cross section averaged over its
spectrum and restricted to the sample's recoil window). The flux-averaged total cross section
``NuHepMC.FluxAveragedTotalCrossSection`` (G.R.5 via G.C.2: it is known before the first event) is
therefore::

    FATX = R / (N_atoms f Phi)  [cm^2]  x 1e36  ->  pb per atom          (units: G.R.6 "pb", "PerAtom")

with N_atoms the atoms per tonne of the target material (all its isotopes, :mod:`nugen.targets`) and
Phi = sum_c Phi_c the source's flux summed over its components: the ratio of the integral of flux times
cross section to the integral of the flux of the NuHepMC paper (Sec. 3.1), per atom, for the processes
of the sample and the recoils of its window (the events the file holds; a cross section from the file is
``FATX x sum_bin w / sum_file w``). Per atom means all Z
electrons of an atom for electron processes (bound xenon electrons in the stepping approximation) plus
its nucleus for nuclear ones; for a compound (pseudocumene C9H12, glass SiO2) it is per average atom of
the material. Example: solar neutrinos on xenon, M_N = 0.1 MeV, mu = 3e-11 mu_B, electron recoils 1-30
keV (dipole and SM): R = 345.39 per t yr, N_atoms = 4.5868e27 per t, Phi = 6.5368e10 cm^-2 s^-1, so
FATX = 3.6504e-44 cm^2 = 3.6504e-8 pb. The run attribute ``nugen.FluxAveragedTotalCrossSection`` spells
out these numbers for each file. The source is rebuilt from its name in the metadata, with its solar
``model`` and beam ``mode`` where the metadata record them (``Generator.describe`` records both), and
the metadata's component names must be the source's.

Weighted detector samples (``nugen generate --weighted``, CHARM-II): R = expected events / exposure
(``meta["normalisation"]``, the detector's calibrated exposure in t POT) and the beam mode is the source's
(``meta["source"]["mode"]``, from :meth:`nugen.sources.base.Source.describe`); the CV weights are expected
*selected* events (decay in the fiducial volume, selection and efficiency folded in, see
``normalisation.weight``), so the FATX is the effective flux-averaged cross section per atom of the selected
sample for that exposure (the identity ``FATX x N_atoms x Phi x X = sum w`` holds as for the other samples),
and the Monte Carlo error of the summed weights, ``sqrt(sum_p mc_error_p^2)``, scaled the same way, is
``NuHepMC.FluxAveragedTotalCrossSectionUncertainty``.

NuHepMC 1.0.0 Requirements:

* G.R.1 GenRunInfo: written in the header. G.R.2: ``NuHepMC.Version.Major/Minor/Patch`` = 1, 0, 0
  (integers). G.R.3: tool ``nugen`` with its version. G.R.4: ``NuHepMC.Conventions`` lists
  :data:`CONVENTIONS` (G.C.2, G.C.3, G.C.5, G.S.2) and E.C.5 for samples with event times.
  G.R.5: above. G.R.6: ``NuHepMC.Units.CrossSection.Unit`` = ``"pb"`` and ``.TargetScale`` =
  ``"PerAtom"``. G.R.7: the ``CV`` weight. G.R.8: ``NuHepMC.ProcessIDs`` = nugen's process codes
  (:data:`nugen.generator.PROCESS_CODES`: 0 dipole_e, 1 dipole_A, 2 sm_e, 3 cevns) with
  ``NuHepMC.ProcessInfo[ID].Name`` and ``.Description``. G.R.9: ``NuHepMC.VertexStatusIDs`` = 1, 30 and
  G.R.10: ``NuHepMC.ParticleStatusIDs`` = 1, 2, 4, 20, each with ``...Info[ID].Name`` and
  ``.Description``. G.R.11: ``NuHepMC.AdditionalParticleNumbers`` = 9900012 (and -9900012 for a Dirac
  N) with ``NuHepMC.AdditionalParticleNumber[PDG].Name`` ``N`` (``Nbar``).
* E.R.1 a valid HepMC3 graph, four-momentum conserved at both vertices (the recoil is a real nucleus or
  electron: no nuclear-remnant pseudoparticle). E.R.2: ``event_number`` is the entry index of the event
  in the sample (from 0, as in the ROOT file): unique and non-negative. E.R.3: ``signal_process_id``
  (int, the process code); ``ProcID`` holds the same value, the name of NuHepMC versions before 1.0.
  E.R.4: ``U MEV MM``. E.R.5: ``lab_pos`` (doubles, mm): ``[0, 0, 0]`` (the records are relative to the
  interaction point; a sample without a geometry) or the production vertex ``prod_{x,y,z}_cm`` x 10 in
  the detector frame where the sample has one (beam detectors' weighted samples); E.C.5: a fourth entry,
  the event time ``time_unix_s`` [s, Unix time], for samples with a site. E.R.6: one primary vertex
  (status 1), none with status 0. E.R.7: exactly one beam particle (status 4, the neutrino) and one
  target (status 20, the electron or nucleus: the more massive of the two). E.R.8: every incoming and
  outgoing particle is written. E.R.9: all momenta in the lab frame (target at rest).
* V.R.1: vertex statuses 1 and 30. P.R.1: particle statuses 1, 2, 4, 20.

Conventions followed besides G.C.2: G.C.3, citations per process (``NuHepMC.Citations.Process[ID].arXiv``
and ``.DOI``; nugen itself has no publication to cite as ``Generator``); G.C.5, a description of N
(``NuHepMC.AdditionalParticleInfo[PDG].Description``); G.S.2, every status used is described, the
standard ones too; E.C.5 (above). Not followed: G.C.1 (exposure as POT or livetime: nugen's exposures
are tonne-years or tonne x POT, and a livetime or POT alone would need a detector mass that the
samples do not have; the exposure is in ``nugen.meta``, ``normalisation``); G.C.4 (beam energy
histograms per PDG code: the solar flux is lines plus continua per component with oscillated flavours;
not cheap to bin honestly); E.C.1 (process ID ranges: the IDs are nugen's process codes, as in the ROOT
files; the dipole processes are electromagnetic, for which E.C.1 asks negative IDs); E.C.2, E.C.3 (total
and process cross section at each event's energy: an integral over the recoil window per event); E.C.4
(not needed: the cross section is known before the first event); V.C.1, P.C.1, P.C.2 (no bound nucleon
and no nuclear remnant: coherent scattering on the whole nucleus); G.S.1 (the run configuration is
``nugen.meta``, not ``NuHepMC.Provenance`` attributes); E.S.1 (no beam simulation).

Other event and run attributes:

* per event, every column the particle record does not already hold, under its column name (ints as
  ``IntAttribute``, floats as ``DoubleAttribute`` with 15 significant digits; a NaN or infinite value,
  which marks "not applicable" in nugen's columns, is left out): ``flavour``, ``component``,
  ``Er_keV``, ``N_helicity``, ``N_betagamma``, ``N_lambda_cm``, ``N_decay_u``, ``gamma_cos_theta_star``,
  ``P_e``, ``P_mu``, ``P_tau``, and ``time_unix_s``, ``Eobs_keV``, ``efficiency`` where present;
* per run (``GenRunInfo``), string attributes ``nugen.meta`` (the run metadata as JSON, the ``meta``
  string of the ROOT files as it stands when writing starts, i.e. without ``n_events``, ``sum_weights``
  and ``diagnostics``, which only exist once every event is written; the ``normalisation`` entry gives
  the expected events and the weight per event), ``nugen.version``, ``nugen.model`` (JSON),
  ``nugen.normalisation`` (the normalisation statement), ``nugen.seed`` (a string: seeds may exceed 64
  bits), ``nugen.units`` and ``nugen.FluxAveragedTotalCrossSection`` (above).

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
from nugen.errors import InvalidParameterError, NugenError
from nugen.generator import N_PDG, PROCESS_CODES
from nugen.outputs import atomic_output, check_output_path, column_chunks

__all__ = [
    "CONVENTIONS",
    "FORMAT",
    "NUHEPMC_VERSION",
    "N_PDG",
    "PHOTON_PDG",
    "STATUS_DECAYED",
    "STATUS_FINAL",
    "STATUS_INCOMING",
    "STATUS_TARGET",
    "SUFFIXES",
    "VERTEX_DECAY",
    "VERTEX_PRIMARY",
    "WEIGHT_NAME",
    "XS_TARGET_SCALE",
    "XS_UNIT",
    "require_pyhepmc",
    "write_hepmc",
]

#: Format tag in the returned metadata (the ROOT files have ``nugen-events/1``).
FORMAT = "nugen-hepmc3/1"
#: File name suffixes that select HepMC3 output in ``nugen generate``.
SUFFIXES = (".hepmc3", ".hepmc")
#: NuHepMC version the files declare (G.R.2): major, minor, patch.
NUHEPMC_VERSION = (1, 0, 0)
#: NuHepMC conventions (and suggestions) every NuHepMC file follows (G.R.4); ``E.C.5`` is added for
#: samples with event times.
CONVENTIONS = ("G.C.2", "G.C.3", "G.C.5", "G.S.2")
#: Cross-section unit of ``NuHepMC.FluxAveragedTotalCrossSection`` (G.R.6): picobarn, 1e-36 cm^2.
XS_UNIT = "pb"
#: Target scaling of the cross section (G.R.6): per atom of the target material.
XS_TARGET_SCALE = "PerAtom"
#: Name of the event weight (NuHepMC G.R.7: the central-value weight).
WEIGHT_NAME = "CV"
#: PDG code of the photon.
PHOTON_PDG = 22
#: HepMC3 particle status of final-state particles.
STATUS_FINAL = 1
#: HepMC3 particle status of a particle that decayed in the record (N -> nu gamma).
STATUS_DECAYED = 2
#: HepMC3/NuHepMC particle status of the incoming beam particle (the neutrino).
STATUS_INCOMING = 4
#: NuHepMC particle status of the target particle (P.R.1): the struck electron or nucleus, at rest.
STATUS_TARGET = 20
#: Vertex status of the scattering vertex (NuHepMC V.R.1: the primary vertex).
VERTEX_PRIMARY = 1
#: Vertex status of the N -> nu gamma decay vertex (generator-dependent range 21-999 of V.R.1).
VERTEX_DECAY = 30

_INSTALL_HINT = "writing HepMC3 files needs pyhepmc: pip install 'nugen[hepmc]'"
_MM_PER_CM = 10.0
_PB_PER_CM2 = 1e36
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
#: Production vertex in the detector frame [cm] (beam detectors' weighted samples): NuHepMC ``lab_pos``.
_LAB_POS_COLUMNS = ("prod_x_cm", "prod_y_cm", "prod_z_cm")
#: Event time [Unix s] (samples with a site): the fourth ``lab_pos`` entry (NuHepMC E.C.5).
_LAB_TIME_COLUMN = "time_unix_s"
_PROCESS_DESCRIPTIONS = {
    "dipole_e": "dipole up-scattering nu e -> N e on atomic electrons (Brdar, Greljo, Kopp, Opferkuch, "
    "JCAP 01 (2021) 039, arXiv:2007.15563; cross section: Magill, Plestid, Pospelov, Tsai, Phys. Rev. D 98 "
    "(2018) 115015, arXiv:1803.03262); nugen physics.md Sec. 2",
    "dipole_A": "coherent dipole up-scattering nu A -> N A on nuclei, Helm form factor (Magill et al., "
    "arXiv:1803.03262; Brdar et al., arXiv:2007.15563); nugen physics.md Secs. 2.1, 2.6",
    "sm_e": "Standard-Model elastic nu e scattering (charged and neutral currents; Vogel, Engel, Phys. Rev. "
    "D 39 (1989) 3378); nugen physics.md Sec. 3.1",
    "cevns": "Standard-Model coherent elastic neutrino-nucleus scattering (Freedman, Phys. Rev. D 9 (1974) "
    "1389); nugen physics.md Sec. 3.2",
}
#: NuHepMC G.C.3 citations per process: ``NuHepMC.Citations.Process[<ID>].<type>``.
_CITATIONS = {
    "dipole_e": {
        "arXiv": ("2007.15563", "1803.03262"),
        "DOI": ("10.1088/1475-7516/2021/01/039", "10.1103/PhysRevD.98.115015"),
    },
    "dipole_A": {
        "arXiv": ("2007.15563", "1803.03262"),
        "DOI": ("10.1088/1475-7516/2021/01/039", "10.1103/PhysRevD.98.115015"),
    },
    "sm_e": {"DOI": ("10.1103/PhysRevD.39.3378",)},
    "cevns": {"DOI": ("10.1103/PhysRevD.9.1389",)},
}
_VERTEX_STATUSES = {
    VERTEX_PRIMARY: ("PrimaryVertex", "the scattering nu X -> N X (or nu X -> nu X), at the origin"),
    VERTEX_DECAY: ("NDecayVertex", "N -> nu gamma in flight, displaced along the N momentum"),
}
_PARTICLE_STATUSES = {
    STATUS_FINAL: ("UndecayedPhysical", "final-state particle"),
    STATUS_DECAYED: ("DecayedPhysical", "N that decays to nu gamma inside the record"),
    STATUS_INCOMING: ("IncomingBeam", "the incoming neutrino"),
    STATUS_TARGET: ("Target", "the struck electron or nucleus, at rest in the lab"),
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


def _flux_averaged_cross_section(meta: Mapping) -> tuple[dict | None, str]:
    """The flux-averaged total cross section of the sample (module docstring), or ``None`` and why not.

    Returns ``({"pb", "uncertainty_pb", "derivation", ...}, "")`` or ``(None, reason)``.
    """
    from nugen.sources import get_source
    from nugen.targets import get_target

    src = meta.get("source")
    norm = meta.get("normalisation") if isinstance(meta.get("normalisation"), Mapping) else {}
    if not isinstance(src, Mapping) or not isinstance(src.get("name"), str):
        return None, "the metadata name no neutrino source (meta['source']['name'])"
    if not isinstance(meta.get("target"), str):
        return None, "the metadata name no target material (meta['target'])"
    unit = norm.get("exposure_unit", meta.get("exposure_unit"))
    expected, exposure = norm.get("expected_events"), norm.get("exposure")
    weighted = bool(meta.get("weighted"))
    if not weighted and isinstance(meta.get("rate_per_exposure"), int | float):
        rate = float(meta["rate_per_exposure"])  # the generator's integral (unweighted samples)
    elif isinstance(expected, int | float) and isinstance(exposure, int | float) and exposure > 0:
        rate = float(expected) / float(exposure)
    else:
        msg = "the metadata give no rate_per_exposure, nor normalisation expected_events and exposure"
        return None, msg
    if not (math.isfinite(rate) and rate > 0):
        return None, f"the rate per exposure is {rate!r}, not a positive number"
    options = {k: src[k] for k in ("model", "mode") if isinstance(src.get(k), str)}
    try:
        source = get_source(src["name"], **options)
        target = get_target(meta["target"])
    except (NugenError, TypeError, ValueError) as exc:
        return None, f"the source or target of the metadata cannot be rebuilt ({exc})"
    names = {c.name for c in source.components}
    codes = meta.get("codes") if isinstance(meta.get("codes"), Mapping) else {}
    for recorded in (src.get("components"), codes.get("component")):
        if recorded is not None and set(recorded) != names:
            return None, f"the metadata's source components {sorted(recorded)} are not {sorted(names)}"
    per_unit, expected_unit = source.exposure_factor, source.exposure_label
    flux_unit = f"cm^-2 {source.exposure_unit}^-1"
    if unit is not None and unit != expected_unit:
        return None, f"the exposure unit {unit!r} is not the source's {expected_unit!r}"
    atoms = float(sum(n.per_tonne for n in target.nuclei))
    flux = float(sum(c.flux for c in source.components))
    cm2 = rate / (atoms * per_unit * flux)
    pb = cm2 * _PB_PER_CM2
    mc_error = norm.get("mc_error_by_process")
    uncertainty = None
    if weighted and isinstance(mc_error, Mapping) and isinstance(expected, int | float) and expected > 0:
        uncertainty = pb * math.sqrt(sum(float(e) ** 2 for e in mc_error.values())) / float(expected)
    time = f" x {per_unit:.10g} s per yr" if source.exposure_unit == "s" else ""
    built = f"{src['name']!r}" + "".join(f", {k}={v!r}" for k, v in options.items())
    derivation = (
        f"{rate:.10g} events per {expected_unit} / ({atoms:.10g} atoms per t{time} x {flux:.10g} "
        f"{flux_unit}, the flux of source {built} summed over its components {', '.join(sorted(names))}) "
        f"= {cm2:.10g} cm^2 = {pb:.10g} pb per atom of {meta['target']}; "
        + (
            "CV weights are expected selected events (decay, selection and efficiency folded in), so this is "
            "the effective cross section of the selected sample for the detector's calibrated exposure"
            if weighted
            else "recoils in the generated window only"
        )
    )
    return {"pb": pb, "uncertainty_pb": uncertainty, "derivation": derivation}, ""


def _run_info(pyhepmc, meta: Mapping):
    """The ``GenRunInfo``: tool, weight name, run metadata, process, status and particle descriptions.

    The NuHepMC declaration (version, conventions, cross-section units and value) is added by
    :func:`_declare_nuhepmc` once the first chunk shows the columns.
    """
    from nugen import __version__

    ri = pyhepmc.GenRunInfo()
    version = str(meta.get("nugen_version") or __version__ or "unknown")
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
        for kind, ids in _CITATIONS[name].items():
            a[f"NuHepMC.Citations.Process[{code}].{kind}"] = list(ids)
    for kind, table in (("VertexStatus", _VERTEX_STATUSES), ("ParticleStatus", _PARTICLE_STATUSES)):
        a[f"NuHepMC.{kind}IDs"] = sorted(table)
        for code, (name, text) in table.items():
            a[f"NuHepMC.{kind}Info[{code}].Name"] = name
            a[f"NuHepMC.{kind}Info[{code}].Description"] = text
    model = meta.get("model") if isinstance(meta.get("model"), Mapping) else {}
    majorana = model.get("nature") == "majorana"
    mass = model.get("mass_MeV")
    what = (
        f"heavy neutral lepton N ({'Majorana' if majorana else 'Dirac'}"
        f"{f', mass {mass:g} MeV' if isinstance(mass, int | float) else ''}) coupled to the active neutrinos "
        "by a transition magnetic moment (dipole portal); decays N -> nu gamma (shown in the record where it "
        "decays in flight); PDG code of the right-handed neutrino nu_Re as in Pythia 8"
    )
    numbers = {N_PDG: "N"} if majorana else {N_PDG: "N", -N_PDG: "Nbar"}
    a["NuHepMC.AdditionalParticleNumbers"] = sorted(numbers)
    for pdg, name in numbers.items():
        a[f"NuHepMC.AdditionalParticleNumber[{pdg}].Name"] = name
        a[f"NuHepMC.AdditionalParticleInfo[{pdg}].Description"] = (
            what if pdg > 0 else f"antiparticle of {N_PDG}: Dirac N made by an antineutrino"
        )
    return ri


def _declare_nuhepmc(run_info, fatx: dict | None, reason: str, lab_time: bool) -> str | None:
    """Add the NuHepMC declaration to the run info; returns the declared version or ``None``."""
    a = run_info.attributes
    if fatx is None:
        a["nugen.NuHepMC"] = f"not a NuHepMC file: no flux-averaged total cross section (G.R.5): {reason}"
        return None
    for part, value in zip(("Major", "Minor", "Patch"), NUHEPMC_VERSION, strict=True):
        a[f"NuHepMC.Version.{part}"] = value
    a["NuHepMC.Conventions"] = [*CONVENTIONS, *(("E.C.5",) if lab_time else ())]
    a["NuHepMC.Units.CrossSection.Unit"] = XS_UNIT
    a["NuHepMC.Units.CrossSection.TargetScale"] = XS_TARGET_SCALE
    a["NuHepMC.FluxAveragedTotalCrossSection"] = fatx["pb"]
    if fatx["uncertainty_pb"] is not None:
        a["NuHepMC.FluxAveragedTotalCrossSectionUncertainty"] = fatx["uncertainty_pb"]
    a["nugen.FluxAveragedTotalCrossSection"] = fatx["derivation"]
    return ".".join(map(str, NUHEPMC_VERSION))


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
        unknown = np.setdiff1d(proc, list(PROCESS_CODES.values()))
        if unknown.size:
            msg = f"process codes {unknown.tolist()} are not nugen's ({PROCESS_CODES})"
            raise InvalidParameterError(msg)
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
        status[:, 0] = STATUS_INCOMING
        status[:, 1] = STATUS_TARGET
        status[:, 2] = np.where(decays, STATUS_DECAYED, STATUS_FINAL)
        self.status = status
        self.vx, self.vy, self.vz, self.vt = (
            np.concatenate([np.zeros((n, 4)), np.stack([a, a], axis=1)], axis=1) for a in (*v, ct)
        )
        self.proc = proc.tolist()
        self.weight = cols["weight"].astype(f8).tolist()
        self.lab_pos = _lab_positions(cols, n)


def _lab_positions(cols: Mapping[str, np.ndarray], n: int) -> list | None:
    """NuHepMC ``lab_pos`` per event [mm, then s]; ``None`` for the constant ``[0, 0, 0]``."""
    parts = []
    if all(k in cols for k in _LAB_POS_COLUMNS):
        parts = [cols[k].astype(np.float64) * _MM_PER_CM for k in _LAB_POS_COLUMNS]
    if _LAB_TIME_COLUMN in cols:
        parts = parts or [np.zeros(n)] * 3
        parts.append(cols[_LAB_TIME_COLUMN].astype(np.float64))
    if not parts:
        return None
    pos = np.stack(parts, axis=1)
    if not np.all(np.isfinite(pos)):
        names = [k for k in (*_LAB_POS_COLUMNS, _LAB_TIME_COLUMN) if k in cols]
        msg = f"the NuHepMC lab position needs finite {', '.join(names)} in every event"
        raise InvalidParameterError(msg)
    return pos.tolist()


def write_hepmc(
    path: str | os.PathLike,
    chunks: Iterable,
    meta: Mapping,
    *,
    overwrite: bool = False,
    on_chunk: Callable[[int], None] | None = None,
) -> dict:
    """Write event chunks to a NuHepMC (HepMC3 ASCII) file, one ``GenEvent`` per event (module docstring).

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
        when present, and ``source``, ``target``, ``rate_per_exposure`` (or ``normalisation``
        ``expected_events`` and ``exposure``) and ``exposure_unit`` give the flux-averaged total cross
        section (module docstring; :meth:`nugen.generator.Generator.describe` has them all). Read again
        after the last chunk for the returned summary.
    overwrite : bool
        Replace an existing file.
    on_chunk : callable, optional
        Called with the number of events of each chunk after it is written (progress bars).

    Returns
    -------
    dict
        ``format`` (:data:`FORMAT`), the metadata as it stands after the last chunk, ``n_events`` and
        ``sum_weights`` (as :func:`nugen.io.write_events` returns them), and ``nuhepmc``: the NuHepMC
        version the file declares (``"1.0.0"``), or ``None`` when the metadata do not give the
        flux-averaged total cross section (the file is then plain HepMC3 with the same record).

    Raises
    ------
    InvalidParameterError
        pyhepmc missing (the message says ``pip install 'nugen[hepmc]'``), bad path, no events, chunks
        without the columns of a nugen sample, with differing columns, with process codes that are not
        nugen's, or with a non-finite production vertex or event time. Nothing is left on disk.
    OSError
        If the file cannot be written (e.g. the disk is full); nothing is left on disk.

    References
    ----------
    A. Buckley et al., Comput. Phys. Commun. 260 (2021) 107310, arXiv:1912.08005 (HepMC3).
    C. Gardiner, J. Isaacson, L. Pickering et al., arXiv:2310.13211 (NuHepMC; specification 1.0.0).

    Examples
    --------
    >>> from nugen import DipolePortal
    >>> from nugen.generator import Generator
    >>> from nugen.sources import get_source
    >>> from nugen.targets import get_target
    >>> gen = Generator(get_source("solar"), get_target("xenon"), DipolePortal(0.1, 2e-11))
    >>> chunks = (c for c, _ in gen.iter_chunks(1000, seed=1))
    >>> write_hepmc("xe.hepmc3", chunks, gen.describe())["nuhepmc"]  # doctest: +SKIP
    '1.0.0'
    """
    pyhepmc = require_pyhepmc()
    final = check_output_path(path, overwrite=overwrite)
    model = meta.get("model") if isinstance(meta.get("model"), Mapping) else {}
    nature = str(model.get("nature", "dirac"))
    mass_N = model.get("mass_MeV")
    run_info = _run_info(pyhepmc, meta)  # the metadata as they stand before the first chunk
    fatx, reason = _flux_averaged_cross_section(meta)
    declared = None
    n_events = 0
    sum_w = 0.0
    with atomic_output(final, overwrite=overwrite) as tmp:
        writer = event = None
        try:
            for cols in column_chunks(chunks):
                if writer is None:  # the columns decide E.C.5; the header is written with the writer
                    missing = [k for k in _REQUIRED if k not in cols]
                    if missing:
                        msg = f"event chunks lack the column(s) {', '.join(missing)} of a nugen sample"
                        raise InvalidParameterError(msg)
                    declared = _declare_nuhepmc(run_info, fatx, reason, _LAB_TIME_COLUMN in cols)
                    writer = pyhepmc.io.WriterAscii(str(tmp), run_info)
                    event = pyhepmc.GenEvent(pyhepmc.Units.MEV, pyhepmc.Units.MM)
                    event.run_info = run_info
                rec = _Record(cols, nature, mass_N)
                n_events = _write_chunk(writer, event, rec, cols, n_events)
                sum_w += float(np.sum(cols["weight"], dtype=np.float64))
                if writer.failed():
                    msg = f"writing {str(final)!r} failed (disk full?)"
                    raise OSError(msg)
                if on_chunk is not None:
                    on_chunk(rec.n)
        finally:
            if writer is not None:
                writer.close()
        if n_events == 0:
            msg = f"no events to write to {str(final)!r}"
            raise InvalidParameterError(msg)
        if writer.failed():  # pragma: no cover - needs a full disk at close
            msg = f"writing {str(final)!r} failed (disk full?)"
            raise OSError(msg)
    return {"format": FORMAT, **dict(meta), "n_events": n_events, "sum_weights": sum_w, "nuhepmc": declared}


def _write_chunk(writer, event, rec: _Record, cols: Mapping[str, np.ndarray], first: int) -> int:
    """Fill and write one GenEvent per event of a chunk; returns the next event number."""
    always, sometimes = [], []  # attributes of every event / only where finite
    for name, col in cols.items():
        if name in _IN_RECORD or col.ndim != 1:
            continue
        if np.issubdtype(col.dtype, np.integer) or col.dtype == np.bool_:
            always.append((name, col.astype(np.int64).tolist()))
        else:
            values = col.astype(np.float64)
            (always if np.all(np.isfinite(values)) else sometimes).append((name, values.tolist()))
    decays = rec.decays.tolist()
    proc, weight, lab_pos = rec.proc, rec.weight, rec.lab_pos
    zero = [0.0, 0.0, 0.0]
    px, py, pz, e, m, pid, status = rec.px, rec.py, rec.pz, rec.e, rec.m, rec.pid, rec.status
    vx, vy, vz, vt = rec.vx, rec.vy, rec.vz, rec.vt
    p4, p6 = _PARENTS[4], _PARENTS[6]
    from_hepevt, write = event.from_hepevt, writer.write_event
    isfinite = math.isfinite
    number = first
    for i in range(rec.n):
        if decays[i]:
            from_hepevt(
                number, px[i], py[i], pz[i], e[i], m[i], pid[i], status[i],
                parents=p6, vx=vx[i], vy=vy[i], vz=vz[i], vt=vt[i], fortran=False,
            )  # fmt: skip
            vertices = event.vertices
            vertices[0].status = VERTEX_PRIMARY
            vertices[1].status = VERTEX_DECAY
        else:
            from_hepevt(
                number, px[i, :4], py[i, :4], pz[i, :4], e[i, :4], m[i, :4], pid[i, :4], status[i, :4],
                parents=p4, fortran=False,
            )  # fmt: skip
            event.vertices[0].status = VERTEX_PRIMARY
        event.weights = [weight[i]]
        attrs = event.attributes
        attrs["signal_process_id"] = attrs["ProcID"] = proc[i]
        attrs["lab_pos"] = zero if lab_pos is None else lab_pos[i]
        for name, values in always:
            attrs[name] = values[i]
        for name, values in sometimes:
            value = values[i]
            if isfinite(value):
                attrs[name] = value
        write(event)
        number += 1
    return number
