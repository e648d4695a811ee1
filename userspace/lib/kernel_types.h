/* SPDX-License-Identifier: MIT */
/* The kernel's fixed-width type names, for kmod/common/ built in userspace. */
#ifndef SECX_LIB_KERNEL_TYPES_H
#define SECX_LIB_KERNEL_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#endif
