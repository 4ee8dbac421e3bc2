/** The embeddable client: an in-process read replica answering compensations and rewrites. */
package io.hindsight.client;
