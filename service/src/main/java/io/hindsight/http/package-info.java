/** The operations endpoint: metrics, health and serving lookups over HTTP. */
package io.hindsight.http;
