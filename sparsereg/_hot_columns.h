/* The threads' kernel's look-up of the columns a thread holds (``_ftrl_fast.ftrl_epoch_shared``,
 * ``sparsereg/_hogwild.py``): each non-zero's column resolved, a row ahead, to the row of the
 * state its prediction and update read and write.
 *
 * The table has 2**SR_HOT_SLOT_BITS int32 slots; a held column c (below 2**31) sits at slot
 * ``c & SR_HOT_LOW`` as ``(c & ~SR_HOT_LOW) | copy``, its copy's number in the low bits, and
 * an empty slot holds -1, whose high bits no column below 2**31 has. Column c resolves to
 * ``hot_offset + copy`` where its slot holds it, else to c itself; a column at or past the
 * state's rows (X written by another thread after its check) is reported and resolved as
 * column 0, never used (the kernel's loop, ``_ftrl_fast.resolve_row``). One load per non-zero,
 * and no branch in the look-up. (An AVX2 loop that read the table by a gather, eight at a
 * time, ran 11.5 % fewer instructions but made two threads' fits ~7 % slower on an Intel Xeon,
 * where a gather is slow, and no faster on an AMD EPYC: dropped.)
 */
#ifndef SPARSEREG_HOT_COLUMNS_H
#define SPARSEREG_HOT_COLUMNS_H

#include <stdint.h>

#define SR_HOT_SLOT_BITS 12
#define SR_HOT_LOW ((int64_t)((1 << SR_HOT_SLOT_BITS) - 1))

static inline int64_t sr_hot_resolved(int64_t c, int32_t entry, int64_t hot_offset)
{
    int64_t held = -(int64_t)((((int64_t)entry ^ c) & ~SR_HOT_LOW) == 0);
    return c ^ ((c ^ (hot_offset + ((int64_t)entry & SR_HOT_LOW))) & held);
}

#endif /* SPARSEREG_HOT_COLUMNS_H */
