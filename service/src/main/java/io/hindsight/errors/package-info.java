/** Dead-letter routing and the uncaught-exception policy. */
package io.hindsight.errors;
