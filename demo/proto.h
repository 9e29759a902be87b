/* SPDX-License-Identifier: MIT */
/*
 * Wire format of the demo's record echo service, shared by the server, the
 * client and the fix (a real payload includes its project's headers too).
 */
#ifndef DEMO_PROTO_H
#define DEMO_PROTO_H

#include <stdint.h>

/*
 * Both directions: a frame is a 2-byte big-endian length N, then N bytes.
 * Request body:  [u8 type][u8 declared length][data ...]
 * Response body: [u8 status][data ...]
 * The declared length is what the sender claims the data is; the honest
 * value is N - 2. The bug is trusting it.
 */
#define REC_ECHO 'E'
#define REC_DATA_MAX 64  /* struct record.data */
#define FRAME_MAX 256    /* largest frame body either side accepts */

#define ST_OK 0
#define ST_BAD_RECORD 1

struct record {
	uint8_t type;
	uint8_t len;                /* bytes of data that are valid */
	uint8_t data[REC_DATA_MAX];
};

#endif
