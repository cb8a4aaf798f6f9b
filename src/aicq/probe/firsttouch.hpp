// memory.first_touch — what a page fault costs here: the time to write the first byte of a fresh anonymous
// page (the kernel allocates and zeroes it) against re-touching it, and what that does to code that
// allocates, fills and frees large buffers again and again (glibc serves ≥ 32 MiB with mmap/munmap, so
// every round pays the faults again; OpenMPI's allreduce temporaries do exactly this).
//
// On bare metal a first touch costs about 0.1–0.3 µs per 4 KiB page; under some hypervisors 10–60 µs. The gap
// diagnosis reads this probe's figures and reruns it in a child process with glibc's allocator told to keep
// memory (MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=…) or to use transparent huge pages
// (GLIBC_TUNABLES=glibc.malloc.hugetlb=1) to measure what the fix is worth.
#pragma once

#include <cstddef>
#include <string>

#include "aicq/probe/probe.hpp"

namespace aicq::probe::firsttouch {

struct PageTimes {
  std::size_t pages = 0;
  std::size_t page_bytes = 0;
  double first_s = 0;    // writing one byte into each fresh page, total
  double retouch_s = 0;  // the same writes again, pages now present
  double first_per_page_s() const { return pages ? first_s / static_cast<double>(pages) : 0; }
  double retouch_per_page_s() const { return pages ? retouch_s / static_cast<double>(pages) : 0; }
};

/// Maps `bytes` of fresh anonymous memory and times one write per base page, then again. With `huge`, the
/// mapping is 2 MiB-aligned and advised MADV_HUGEPAGE (transparent huge pages: one fault per 2 MiB);
/// otherwise MADV_NOHUGEPAGE, so the figure is the base-page fault whatever the THP mode. The mapping is
/// removed before returning. Throws core::WorkError when mmap fails.
PageTimes touch_pages(std::size_t bytes, bool huge = false);

/// The transparent-huge-page mode from /sys/kernel/mm/transparent_hugepage/enabled ("always", "madvise",
/// "never"), or "" when unknown.
std::string thp_mode();

}  // namespace aicq::probe::firsttouch

namespace aicq::probe {
Probe first_touch_probe();  // memory.first_touch — firsttouch.cpp
}
