"""orbitcloud: a digital twin and control plane for data centres in orbit.

Import the public API from :mod:`orbitcloud.api` (``from orbitcloud.api import load_scenario``);
this module holds only the version, so importing it stays cheap.
"""

__version__ = "0.1.0"
