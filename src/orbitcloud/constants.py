"""Physical constants, each with its unit and source.

Internal units are km, s, rad, W, J and bytes; names carry the unit when it is not obvious.
"""

from __future__ import annotations

# --- Earth -------------------------------------------------------------------------------
#: WGS84 equatorial radius [km]. NIMA TR8350.2 (2000), Table 3.1.
WGS84_A_KM = 6378.137
#: WGS84 flattening [-]. NIMA TR8350.2 (2000), Table 3.1.
WGS84_F = 1.0 / 298.257223563
#: Mean Earth radius R1 = (2a + b) / 3 [km] (IUGG; Moritz 2000, Geodetic Reference System 1980),
#: for spherical-Earth relations such as ground range.
EARTH_MEAN_RADIUS_KM = 6371.0088
#: WGS84 polar radius [km], derived: a (1 - f).
WGS84_B_KM = WGS84_A_KM * (1.0 - WGS84_F)
#: WGS84 first eccentricity squared [-], derived: f (2 - f).
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)

#: WGS72 gravitational parameter [km^3/s^2], the value SGP4 is built on.
#: Vallado, Crawford, Hujsak & Kelso, "Revisiting Spacetrack Report #3", AIAA 2006-6753, Table 1.
WGS72_MU_KM3_S2 = 398600.8
#: WGS72 equatorial radius [km] used by SGP4 (AIAA 2006-6753, Table 1).
WGS72_RADIUS_KM = 6378.135

#: Earth's gravitational parameter, EGM2008/WGS84 [km^3/s^2]. NIMA TR8350.2, Table 3.1.
EARTH_MU_KM3_S2 = 398600.4418
#: Second zonal harmonic J2 [-]. EGM2008 (Pavlis et al. 2012), unnormalised C20 = -J2.
EARTH_J2 = 1.08262668e-3

#: Length of the tropical year [days] (mean, J2000). Seidelmann (ed.), Explanatory Supplement to
#: the Astronomical Almanac (1992), §1.2.
TROPICAL_YEAR_D = 365.242190

# --- Light and time ----------------------------------------------------------------------
#: Speed of light in vacuum [km/s]. Exact by definition of the metre (SI Brochure, 9th ed.).
SPEED_OF_LIGHT_KM_S = 299792.458
#: Stefan-Boltzmann constant [W m^-2 K^-4]. CODATA 2018 (exact, from the SI defining constants).
STEFAN_BOLTZMANN_W_M2_K4 = 5.670374419e-8
#: Seconds per day [s].
DAY_S = 86400.0
#: Julian date of 1949-12-31 00:00 UT, the zero of `sgp4init`'s epoch argument [days].
SGP4_EPOCH_ZERO_JD = 2433281.5
#: Julian date of J2000.0 (2000-01-01 12:00 TT) [days].
J2000_JD = 2451545.0

# --- Sun ---------------------------------------------------------------------------------
#: Nominal solar radius [km]. IAU 2015 Resolution B3.
SUN_RADIUS_KM = 695700.0
#: Astronomical unit [km]. IAU 2012 Resolution B2 (exact).
AU_KM = 149597870.700

# --- Moon, Mars and the Sun (beyond Earth orbit) -----------------------------------------
#: Sun's gravitational parameter [km^3/s^2]. IAU 2015 Resolution B3 (nominal GM_sun).
SUN_MU_KM3_S2 = 1.3271244e11
#: Moon's gravitational parameter [km^3/s^2]. DE421 (Folkner et al. 2008, JPL IOM 343R-08-003).
MOON_MU_KM3_S2 = 4902.800066
#: Moon's mean radius [km], the radius of its IAU reference sphere. Archinal et al. (2018),
#: Celest. Mech. Dyn. Astron. 130:22 (IAU WGCCRE 2015), Table 5.
MOON_RADIUS_KM = 1737.4
#: Moon's second zonal harmonic J2 [-] (unnormalised, reference radius 1738 km). GRAIL gravity
#: field GL0660B, Konopliv et al. (2013), J. Geophys. Res. Planets 118, 1415.
MOON_J2 = 2.0321e-4
#: Reference radius of the lunar gravity field [km] (GL0660B).
MOON_J2_RADIUS_KM = 1738.0
#: Mars' gravitational parameter [km^3/s^2]. MRO110C gravity field, Konopliv et al. (2011),
#: Icarus 211, 401 (DE421 gives 42828.3).
MARS_MU_KM3_S2 = 42828.37
#: Mars' equatorial and polar radii [km]. Archinal et al. (2018), Table 4 (IAU WGCCRE 2015).
MARS_EQUATORIAL_RADIUS_KM = 3396.19
MARS_POLAR_RADIUS_KM = 3376.20
#: Mars' second zonal harmonic J2 [-] (unnormalised, reference radius 3396 km). MRO110C,
#: Konopliv et al. (2011), Icarus 211, 401.
MARS_J2 = 1.9566e-3
#: Reference radius of the Mars gravity field [km] (MRO110C).
MARS_J2_RADIUS_KM = 3396.0
