/* The shapes shared by the element-wise op tables (norms, add, mul, the
 * global average pool, copy): one element, odd sizes, a vector edge, a
 * ResNet layer, a batch, a wide plane, a GhostNet SE input. */
#ifndef CLBB_CHECK_OP_ELT_SHAPES_H
#define CLBB_CHECK_OP_ELT_SHAPES_H

typedef struct elt_geom {
    const char *name;
    int n, c, h, w, quick;
} elt_geom;

static const elt_geom ELT_GEOMS[] = {
    {"tiny", 1, 1, 1, 1, 1},       {"odd", 2, 3, 7, 13, 1},    {"vec_edge", 1, 5, 1, 3, 0},
    {"r50_l1", 1, 256, 14, 14, 0}, {"batch4", 4, 16, 9, 9, 0}, {"wide_plane", 1, 2, 33, 65, 0},
    {"ghost_se_7x7", 2, 480, 7, 7, 0},
};

#define ELT_NUM_GEOMS (sizeof ELT_GEOMS / sizeof ELT_GEOMS[0])

#endif
