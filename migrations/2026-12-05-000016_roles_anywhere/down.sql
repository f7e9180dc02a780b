DELETE FROM tags WHERE resource_kind IN ('ra-trust-anchor', 'ra-profile', 'ra-crl');
DROP TABLE ra_crls;
DROP TABLE ra_profiles;
DROP TABLE ra_trust_anchors;
