// The shipped destination-class table. Sources (docs/policy.md cites them in full):
//  - ITU-T E.164 "List of ITU-T Recommendation E.164 assigned country codes" (satellite and
//    international networks 870/881/882/883, international services 800/979);
//  - NANPA area code lists (non-US NANP countries; US territories; toll-free and 900 codes);
//  - Ofcom National Telephone Numbering Plan (UK 07 mobile, 070 personal, 076 pagers,
//    080 freephone, 09 premium rate); Bundesnetzagentur numbering (DE 015-017 mobile, 0800,
//    0900, 0137); ARCEP plan (FR 06/07 mobile, 080 free, 089 premium); ACMA Telecommunications
//    Numbering Plan (AU 04 mobile, 1800 free, 190 premium).
//  - high-risk: destinations commonly reported for international revenue share fraud (IRSF)
//    in operator hot lists; a starting point to review, not an authority.
// Operators override any line with policy.classes.

#include "guard/policy/destination_classes.h"

namespace tg::guard::policy {

const std::vector<ShippedPrefix>& shippedPrefixes() {
  static const std::vector<ShippedPrefix> table = {
      // NANP: area codes of other countries. They are dialled like US calls (1 + 10 digits)
      // but billed as international.
      {"1242", "international", "NANP: Bahamas"},
      {"1246", "international", "NANP: Barbados"},
      {"1264", "international", "NANP: Anguilla"},
      {"1268", "international", "NANP: Antigua and Barbuda"},
      {"1284", "international", "NANP: British Virgin Islands"},
      {"1345", "international", "NANP: Cayman Islands"},
      {"1441", "international", "NANP: Bermuda"},
      {"1473", "international", "NANP: Grenada"},
      {"1649", "international", "NANP: Turks and Caicos Islands"},
      {"1658", "international", "NANP: Jamaica"},
      {"1664", "international", "NANP: Montserrat"},
      {"1721", "international", "NANP: Sint Maarten"},
      {"1758", "international", "NANP: Saint Lucia"},
      {"1767", "international", "NANP: Dominica"},
      {"1784", "international", "NANP: Saint Vincent and the Grenadines"},
      {"1809", "international", "NANP: Dominican Republic"},
      {"1829", "international", "NANP: Dominican Republic"},
      {"1849", "international", "NANP: Dominican Republic"},
      {"1868", "international", "NANP: Trinidad and Tobago"},
      {"1869", "international", "NANP: Saint Kitts and Nevis"},
      {"1876", "international", "NANP: Jamaica"},
      // NANP: US territories look foreign but are domestic.
      {"1340", "national", "NANP: US Virgin Islands (US territory)"},
      {"1670", "national", "NANP: Northern Mariana Islands (US territory)"},
      {"1671", "national", "NANP: Guam (US territory)"},
      {"1684", "national", "NANP: American Samoa (US territory)"},
      {"1787", "national", "NANP: Puerto Rico (US territory)"},
      {"1939", "national", "NANP: Puerto Rico (US territory)"},
      // NANP services.
      {"1800", "toll-free", "NANP toll-free"},
      {"1833", "toll-free", "NANP toll-free"},
      {"1844", "toll-free", "NANP toll-free"},
      {"1855", "toll-free", "NANP toll-free"},
      {"1866", "toll-free", "NANP toll-free"},
      {"1877", "toll-free", "NANP toll-free"},
      {"1888", "toll-free", "NANP toll-free"},
      {"1900", "premium", "NANP premium (900)"},
      // United Kingdom (Ofcom).
      {"447", "mobile", "UK mobile (07)"},
      {"4470", "premium", "UK personal numbering (070): revenue-share abuse"},
      {"4476", "premium", "UK radiopaging (076)"},
      {"447624", "mobile", "UK mobile: Isle of Man (07624)"},
      {"4480", "toll-free", "UK freephone (080)"},
      {"449", "premium", "UK premium rate (09)"},
      // Germany (Bundesnetzagentur).
      {"4915", "mobile", "DE mobile (015)"},
      {"4916", "mobile", "DE mobile (016)"},
      {"4917", "mobile", "DE mobile (017)"},
      {"49800", "toll-free", "DE freephone (0800)"},
      {"49900", "premium", "DE premium rate (0900)"},
      {"49137", "premium", "DE mass traffic (0137)"},
      // France (ARCEP).
      {"336", "mobile", "FR mobile (06)"},
      {"337", "mobile", "FR mobile (07)"},
      {"3380", "toll-free", "FR freephone (080)"},
      {"3389", "premium", "FR premium rate (089)"},
      // Australia (ACMA).
      {"614", "mobile", "AU mobile (04)"},
      {"611800", "toll-free", "AU freephone (1800)"},
      {"61190", "premium", "AU premium rate (190)"},
      // ITU-T E.164: global services and networks without a country.
      {"800", "toll-free", "International Freephone Service (+800)"},
      {"870", "satellite", "Inmarsat (+870)"},
      {"881", "satellite", "Global Mobile Satellite System (+881)"},
      {"882", "satellite", "International Networks (+882)"},
      {"883", "satellite", "International Networks (+883)"},
      {"979", "high-risk", "International Premium Rate Service (+979)"},
      // Destinations often seen in IRSF hot lists (review for your traffic).
      {"53", "high-risk", "Cuba"},
      {"224", "high-risk", "Guinea"},
      {"232", "high-risk", "Sierra Leone"},
      {"239", "high-risk", "Sao Tome and Principe"},
      {"246", "high-risk", "Diego Garcia"},
      {"247", "high-risk", "Ascension"},
      {"252", "high-risk", "Somalia"},
      {"269", "high-risk", "Comoros"},
      {"290", "high-risk", "Saint Helena, Tristan da Cunha"},
      {"500", "high-risk", "Falkland Islands"},
      {"674", "high-risk", "Nauru"},
      {"675", "high-risk", "Papua New Guinea"},
      {"677", "high-risk", "Solomon Islands"},
      {"678", "high-risk", "Vanuatu"},
      {"682", "high-risk", "Cook Islands"},
      {"683", "high-risk", "Niue"},
      {"686", "high-risk", "Kiribati"},
      {"688", "high-risk", "Tuvalu"},
      {"690", "high-risk", "Tokelau"},
      {"691", "high-risk", "Micronesia"},
      {"692", "high-risk", "Marshall Islands"},
  };
  return table;
}

}  // namespace tg::guard::policy
